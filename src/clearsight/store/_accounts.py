"""Users, passwords (argon2id), browser sessions, API tokens and the one-time set-up token.

Secrets handed out (session cookies, API tokens, the set-up token) are random and only
their SHA-256 is stored, so a copy of the database lets nobody sign in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearsight.audit import SYSTEM_ACTOR, AuditAction, AuditEvent
from clearsight.errors import InputError, NotFoundError, PolicyError
from clearsight.store import _audit_log
from clearsight.store._enums import Role
from clearsight.store._tables import ApiToken, SetupToken, User, WebSession
from clearsight.store._types import utcnow

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
MAX_USERNAME_LENGTH = 63
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable" for online attacks
SETUP_LINK = "set-up link"  # approves the first admin: whoever holds the server's link
# Compared against when the username does not exist, so a miss costs as much as a hit.
_DUMMY_HASH = _HASHER.hash("clearsight-dummy-password")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _check_new_credentials(username: str, password: str) -> None:
    if not _USERNAME.match(username):
        raise InputError(
            f"username {username!r}: use 2-63 lower-case letters, digits, '.', '_' or '-'"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    check_password_strength(password, username)


def check_password_strength(password: str, username: str = "") -> None:
    """InputError unless zxcvbn rates the password at least ``MIN_PASSWORD_SCORE`` of 4: common
    passwords, repeats (``aaaaaaaaaaaa``), sequences, keyboard walks and the user name are
    refused. Only the first 72 characters are rated (zxcvbn's limit); longer ones rarely
    fail."""
    from zxcvbn import zxcvbn  # imported on first use: it loads word lists

    rating = zxcvbn(password[:72], user_inputs=[username] if username else [])
    if rating["score"] < MIN_PASSWORD_SCORE:
        feedback = rating.get("feedback", {})
        why = feedback.get("warning") or "it is easy to guess"
        hint = " ".join(feedback.get("suggestions", []))
        raise InputError(f"password: too weak ({why.rstrip('.')}). {hint}".strip())


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    actor: str,
    *,
    approved_by: str | None = None,
    now: datetime | None = None,
) -> User:
    """A new account, set up by ``actor``. It holds no power until a second admin approves
    it (``approve_user``); ``approved_by`` is only for accounts whose powers come from
    outside the service (the first-start set-up link)."""
    _check_new_credentials(username, password)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise PolicyError(f"user {username!r} already exists")
    at = now or utcnow()
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        created_by=actor,
        powers_set_by=actor,
        powers_set_at=at,
        approved_by=approved_by,
        approved_at=at if approved_by else None,
    )
    session.add(user)
    session.flush()
    _audit_log.append(
        session,
        AuditEvent(
            actor,
            AuditAction.USER_CREATED,
            "user",
            user.id,
            details={
                "username": username,
                "role": role.value,
                "created_by": actor,
                "approval": f"by {approved_by}" if approved_by else "pending",
            },
        ),
    )
    return user


def is_approved(user: User) -> bool:
    """Whether the account's current role and sites were approved by a second admin."""
    return user.approved_by is not None


def approved_admins(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User).where(
                User.role == Role.ADMIN.value, User.active.is_(True), User.approved_by.is_not(None)
            )
        )
    )


def single_admin_trial(session: Session) -> bool:
    """Fewer than two approved admins: nobody can check the one admin, so the install is a
    trial and says so on every page."""
    return len(approved_admins(session)) < 2


def mark_powers_changed(session: Session, user: User, actor: User, now: datetime) -> None:
    """``actor`` changed ``user``'s role or sites: the powers wait for a second admin again."""
    user.powers_set_by = actor.username
    user.powers_set_at = now
    user.approved_by = None
    user.approved_at = None


def approve_user(
    session: Session, user_id: str, approver: User, now: datetime, reason: str = ""
) -> User:
    """``approver`` (an approved admin other than whoever set the account up) approves the
    account's current role and sites. In a single-admin trial the one admin may approve the
    accounts they set up; the audit entry says so."""
    user = get_user(session, user_id)
    if is_approved(user):
        raise PolicyError(f"user {user.username} is already approved")
    if not user.active:
        raise PolicyError(f"user {user.username} is disabled")
    if approver.role != Role.ADMIN.value or not is_approved(approver) or not approver.active:
        raise PolicyError("only an approved admin can approve an account")
    if approver.id == user.id:
        raise PolicyError("you cannot approve your own account; a second admin must")
    trial = single_admin_trial(session)
    if user.powers_set_by == approver.username and not trial:
        raise PolicyError(f"you set up {user.username}'s account; a second admin must approve it")
    user.approved_by = approver.username
    user.approved_at = now
    _audit_log.append(
        session,
        AuditEvent(
            approver.username,
            AuditAction.USER_APPROVED,
            "user",
            user.id,
            reason=reason
            or ("single-admin trial: approved by the admin who set it up" if trial else ""),
            details={
                "username": user.username,
                "role": user.role,
                "sites": user.sites or "*",
                "created_by": user.created_by or "",
                "set_up_by": user.powers_set_by or "",
                "approved_by": approver.username,
                "single_admin_trial": "yes" if trial else "no",
            },
        ),
        at=now,
    )
    return user


def one_person(first: User, second: User, now: datetime, window: timedelta) -> str | None:
    """Why two accounts count as one person for a two-person rule, or None when they are
    two: the same account, one set up the other, or one admin set up (or changed) both within
    ``window`` of ``now``."""
    if first.id == second.id:
        return "it is the same account"
    if first.powers_set_by == second.username:
        return f"{second.username} set up {first.username}'s account"
    if second.powers_set_by == first.username:
        return f"{first.username} set up {second.username}'s account"
    if (
        first.powers_set_by is not None
        and first.powers_set_by == second.powers_set_by
        and all(
            u.powers_set_at is not None and u.powers_set_at > now - window for u in (first, second)
        )
    ):
        return (
            f"{first.powers_set_by} set up both {first.username}'s and {second.username}'s "
            "accounts within the review window"
        )
    return None


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    return user


def user_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} does not exist")
    return user


def disable_user(session: Session, user_id: str, actor: User, now: datetime, reason: str) -> User:
    """Sign a user out everywhere and stop their tokens; the record stays for the audit trail."""
    user = get_user(session, user_id)
    if user.id == actor.id:
        raise PolicyError("you cannot disable your own account")
    user.active = False
    for row in session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
        session.delete(row)
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    _audit_log.append(
        session,
        AuditEvent(actor.username, AuditAction.USER_DISABLED, "user", user.id, reason=reason),
        at=now,
    )
    return user


def issue_setup_token(session: Session, now: datetime, ttl: timedelta) -> str | None:
    """A new one-time set-up secret while no user exists; None once someone has set up."""
    if user_count(session):
        return None
    for earlier in session.scalars(select(SetupToken).where(SetupToken.used_at.is_(None))):
        earlier.expires_at = min(earlier.expires_at, now)  # only the newest link works
    secret = secrets.token_urlsafe(32)
    session.add(SetupToken(token_hash=secret_hash(secret), created_at=now, expires_at=now + ttl))
    _audit_log.append(
        session,
        AuditEvent(
            SYSTEM_ACTOR,
            AuditAction.SETUP_TOKEN_ISSUED,
            "setup",
            "first-admin",
            reason="no user exists yet",
        ),
    )
    return secret


def setup_token_valid(session: Session, secret: str, now: datetime) -> bool:
    token = session.scalar(select(SetupToken).where(SetupToken.token_hash == secret_hash(secret)))
    return token is not None and token.used_at is None and token.expires_at > now


def complete_setup(
    session: Session, secret: str, username: str, password: str, now: datetime
) -> User:
    """Create the first admin with a valid, unused set-up token, and use the token up."""
    token = session.scalar(select(SetupToken).where(SetupToken.token_hash == secret_hash(secret)))
    if token is None or token.used_at is not None or token.expires_at <= now or user_count(session):
        raise PolicyError("this set-up link is invalid, expired or already used")
    token.used_at = now
    user = create_user(
        session, username, password, Role.ADMIN, actor=username, approved_by=SETUP_LINK, now=now
    )
    _audit_log.append(
        session,
        AuditEvent(
            username,
            AuditAction.SETUP_ADMIN_CREATED,
            "user",
            user.id,
            reason="first start set-up link",
        ),
    )
    return user


@dataclass(frozen=True)
class NewSession:
    secret: str
    csrf_token: str
    expires_at: datetime


def open_session(session: Session, user: User, now: datetime, ttl: timedelta) -> NewSession:
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=secret_hash(secret),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return NewSession(secret, csrf, now + ttl)


def find_session(session: Session, secret: str, now: datetime) -> tuple[User, WebSession] | None:
    row = session.get(WebSession, secret_hash(secret))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


def close_session(session: Session, secret: str) -> None:
    row = session.get(WebSession, secret_hash(secret))
    if row is not None:
        session.delete(row)


def create_api_token(
    session: Session, user: User, name: str, scopes: frozenset[str], expires_at: datetime | None
) -> tuple[ApiToken, str]:
    """A new bearer token for ``user``; the secret is returned once and never stored."""
    if not name.strip():
        raise InputError("token name: must not be empty")
    secret = "cs_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100],
        token_hash=secret_hash(secret),
        scopes=" ".join(sorted(scopes)),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    _audit_log.append(
        session,
        AuditEvent(
            user.username,
            AuditAction.TOKEN_CREATED,
            "api_token",
            token.id,
            details={"scopes": token.scopes},
        ),
    )
    return token, secret


def find_api_token(
    session: Session, secret: str, now: datetime
) -> tuple[User, frozenset[str]] | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == secret_hash(secret)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return user, frozenset(token.scopes.split())


def revoke_api_token(session: Session, user: User, token_id: str, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError(f"API token {token_id} does not exist")
    token.revoked_at = now
    _audit_log.append(
        session, AuditEvent(user.username, AuditAction.TOKEN_REVOKED, "api_token", token.id)
    )


def purge_expired_sessions(session: Session, now: datetime) -> int:
    """Delete sessions past their expiry (they no longer sign anyone in)."""
    rows = session.scalars(select(WebSession).where(WebSession.expires_at <= now)).all()
    for row in rows:
        session.delete(row)
    return len(rows)
