"""Correcting records after they were entered: passwords, roles, re-enabling a user,
rejecting, withdrawing or editing a pending watchlist entry, deleting a camera.

Each change appends its audit entry in the caller's transaction, like every other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearsight.audit import AuditAction, AuditEvent
from clearsight.errors import InputError, PolicyError
from clearsight.store import _audit_log
from clearsight.store._accounts import (
    MIN_PASSWORD_LENGTH,
    authenticate,
    check_password_strength,
    get_user,
    hash_password,
    mark_powers_changed,
)
from clearsight.store._cameras import get_camera
from clearsight.store._enums import EntryStatus, ReasonCategory, Role
from clearsight.store._tables import AlertRecord, ApiToken, User, WatchlistEntry, WebSession
from clearsight.store._watchlist import PURGED, get_entry

MAX_REASON = 2000


def _new_password_ok(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    check_password_strength(password, username)


def _reason(reason: str, what: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InputError(f"{what}: give a reason")
    if len(reason) > MAX_REASON:
        raise InputError(f"{what}: the reason is over {MAX_REASON} characters")
    return reason


def _sign_out_everywhere(session: Session, user: User, keep_session_id: str | None = None) -> None:
    for row in session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
        if row.id != keep_session_id:
            session.delete(row)


def _revoke_tokens(session: Session, user: User, now: datetime) -> None:
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now


def change_own_password(
    session: Session,
    user_id: str,
    current: str,
    new: str,
    now: datetime,
    keep_session_id: str | None = None,
) -> User:
    """The user's own change: the current password must be right; other sessions end."""
    user = get_user(session, user_id)
    if authenticate(session, user.username, current) is None:
        raise PolicyError("the current password is wrong")
    _new_password_ok(new, user.username)
    if new == current:
        raise InputError("password: the new password must differ from the current one")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    _sign_out_everywhere(session, user, keep_session_id)
    _audit_log.append(
        session,
        AuditEvent(user.username, AuditAction.USER_PASSWORD_CHANGED, "user", user.id),
        at=now,
    )
    return user


def reset_password(
    session: Session, user_id: str, new: str, actor: User, now: datetime, reason: str
) -> User:
    """An admin sets a temporary password; the user must change it at next sign-in and is
    signed out everywhere now."""
    user = get_user(session, user_id)
    if user.id == actor.id:
        raise PolicyError("change your own password on the password page, not by a reset")
    _new_password_ok(new, user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = True
    _sign_out_everywhere(session, user)
    _revoke_tokens(session, user, now)
    _audit_log.append(
        session,
        AuditEvent(
            actor.username,
            AuditAction.USER_PASSWORD_RESET,
            "user",
            user.id,
            reason=_reason(reason, "password reset"),
        ),
        at=now,
    )
    return user


def set_role(
    session: Session, user_id: str, role: Role, actor: User, now: datetime, reason: str
) -> User:
    """Give a user another role; their sessions end so the new rights apply at once, and the
    new role holds no power until a second admin approves it (``accounts.approve_user``)."""
    user = get_user(session, user_id)
    if user.id == actor.id:
        raise PolicyError("you cannot change your own role; ask another administrator")
    previous = user.role
    if previous == role.value:
        raise InputError(f"user {user.username} already has the role {role.value}")
    user.role = role.value
    mark_powers_changed(session, user, actor, now)
    _sign_out_everywhere(session, user)
    # Tokens carry scopes of the old role; they stop rather than widen or silently narrow.
    _revoke_tokens(session, user, now)
    _audit_log.append(
        session,
        AuditEvent(
            actor.username,
            AuditAction.USER_ROLE_CHANGED,
            "user",
            user.id,
            reason=_reason(reason, "role change"),
            details={"from": previous, "to": role.value, "approval": "pending"},
        ),
        at=now,
    )
    return user


def enable_user(session: Session, user_id: str, actor: User, now: datetime, reason: str) -> User:
    user = get_user(session, user_id)
    if user.active:
        raise InputError(f"user {user.username} is already active")
    user.active = True
    _audit_log.append(
        session,
        AuditEvent(
            actor.username,
            AuditAction.USER_ENABLED,
            "user",
            user.id,
            reason=_reason(reason, "re-enabling"),
        ),
        at=now,
    )
    return user


def _pending(session: Session, entry_id: str) -> WatchlistEntry:
    _audit_log.lock_chain(session)
    entry = get_entry(session, entry_id)
    if entry.status != EntryStatus.PENDING_APPROVAL.value:
        raise PolicyError(f"watchlist entry {entry_id} is {entry.status}, not pending approval")
    return entry


def _close_entry(
    session: Session,
    entry: WatchlistEntry,
    status: EntryStatus,
    action: AuditAction,
    actor: User,
    now: datetime,
    reason: str,
) -> WatchlistEntry:
    """An entry that will never be matched keeps no face data: photos and templates go."""
    photos = len(entry.photos)
    entry.photos.clear()
    entry.status = status.value
    entry.name = PURGED
    entry.notes = PURGED
    entry.purged_at = now
    _audit_log.append(
        session,
        AuditEvent(
            actor.username,
            action,
            "watchlist_entry",
            entry.id,
            reason=reason,
            details={"photos_purged": str(photos)},
        ),
        at=now,
    )
    return entry


def reject_entry(
    session: Session, entry_id: str, approver: User, now: datetime, reason: str
) -> WatchlistEntry:
    """An approver refuses a pending entry (not their own enrolment); its face data goes."""
    reason = _reason(reason, "rejection")
    entry = _pending(session, entry_id)
    if entry.enrolled_by == approver.id:
        raise PolicyError(
            f"watchlist entry {entry_id}: withdraw your own enrolment rather than reject it"
        )
    return _close_entry(
        session, entry, EntryStatus.REJECTED, AuditAction.WATCHLIST_REJECTED, approver, now, reason
    )


def withdraw_entry(
    session: Session, entry_id: str, enroller: User, now: datetime, reason: str
) -> WatchlistEntry:
    """The enroller takes back a pending entry of theirs; its face data goes."""
    reason = _reason(reason, "withdrawal")
    entry = _pending(session, entry_id)
    if entry.enrolled_by != enroller.id:
        raise PolicyError(f"watchlist entry {entry_id}: only its enroller may withdraw it")
    return _close_entry(
        session,
        entry,
        EntryStatus.WITHDRAWN,
        AuditAction.WATCHLIST_WITHDRAWN,
        enroller,
        now,
        reason,
    )


@dataclass(frozen=True)
class EntryEdit:
    """What may be corrected on a pending entry (photos are not: enrol again instead)."""

    name: str
    reason_category: ReasonCategory
    incident_ref: str
    notes: str
    site: str


def edit_entry(
    session: Session, entry_id: str, values: EntryEdit, enroller: User, now: datetime, reason: str
) -> WatchlistEntry:
    """The enroller corrects a pending entry; the audit entry names the fields changed."""
    reason = _reason(reason, "edit")
    entry = _pending(session, entry_id)
    if entry.enrolled_by != enroller.id:
        raise PolicyError(f"watchlist entry {entry_id}: only its enroller may edit it")
    wanted = {
        "name": values.name.strip(),
        "reason_category": values.reason_category.value,
        "incident_ref": values.incident_ref.strip(),
        "notes": values.notes.strip(),
        "site": values.site.strip(),
    }
    for field in ("name", "incident_ref", "notes"):
        if not wanted[field]:
            raise InputError(f"watchlist entry: {field.replace('_', ' ')} must not be empty")
    if wanted["site"]:
        from clearsight.store._sites import parse_sites

        parse_sites([wanted["site"]])
    changed = sorted(k for k, v in wanted.items() if getattr(entry, k) != v)
    if not changed:
        raise InputError("watchlist entry: nothing was changed")
    for field in changed:
        setattr(entry, field, wanted[field])
    _audit_log.append(
        session,
        AuditEvent(
            enroller.username,
            AuditAction.WATCHLIST_EDITED,
            "watchlist_entry",
            entry.id,
            reason=reason,
            # Field names only: the values may be personal data the log must not keep.
            details={"fields": ",".join(changed)},
        ),
        at=now,
    )
    return entry


def delete_camera(session: Session, camera_id: str, actor: str, now: datetime, reason: str) -> str:
    """Remove a camera; its alerts stay (with their source name and site), unlinked from it.
    Its worker stops at the runtime's next poll. Returns the camera's name."""
    reason = _reason(reason, "camera deletion")
    _audit_log.lock_chain(session)
    camera = get_camera(session, camera_id)
    name = camera.name
    session.execute(
        update(AlertRecord).where(AlertRecord.camera_id == camera_id).values(camera_id=None)
    )
    session.delete(camera)
    _audit_log.append(
        session,
        AuditEvent(
            actor,
            AuditAction.CAMERA_DELETED,
            "camera",
            camera_id,
            reason=reason,
            details={"name": name},
        ),
        at=now,
    )
    return name


__all__ = [
    "EntryEdit",
    "change_own_password",
    "delete_camera",
    "edit_entry",
    "enable_user",
    "reject_entry",
    "reset_password",
    "set_role",
    "withdraw_entry",
]
