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

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD_LENGTH = 12
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


def create_user(session: Session, username: str, password: str, role: Role, actor: str) -> User:
    _check_new_credentials(username, password)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise PolicyError(f"user {username!r} already exists")
    user = User(
        username=username, password_hash=hash_password(password), role=role.value, created_by=actor
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
            details={"username": username, "role": role.value},
        ),
    )
    return user


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
    user = create_user(session, username, password, Role.ADMIN, actor=username)
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
