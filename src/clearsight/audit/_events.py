"""Typed audit events: who did what, when, to which record, and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class AuditAction(enum.StrEnum):
    """Everything that is recorded. Views of face images are actions too."""

    SETUP_ADMIN_CREATED = "setup.admin_created"
    SETUP_TOKEN_ISSUED = "setup.token_issued"
    LOGIN_SUCCEEDED = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    USER_CREATED = "user.created"
    USER_DISABLED = "user.disabled"
    USER_SITES_SET = "user.sites_set"
    USER_APPROVED = "user.approved"
    USER_ENABLED = "user.enabled"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_PASSWORD_CHANGED = "user.password_changed"
    USER_PASSWORD_RESET = "user.password_reset"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    CAMERA_CREATED = "camera.created"
    CAMERA_UPDATED = "camera.updated"
    CAMERA_DELETED = "camera.deleted"
    WATCHLIST_CREATED = "watchlist.created"
    WATCHLIST_APPROVED = "watchlist.approved"
    WATCHLIST_REJECTED = "watchlist.rejected"
    WATCHLIST_WITHDRAWN = "watchlist.withdrawn"
    WATCHLIST_EDITED = "watchlist.edited"
    WATCHLIST_EXPIRED = "watchlist.expired"
    WATCHLIST_VIEWED = "watchlist.viewed"
    WATCHLIST_REEMBEDDED = "watchlist.reembedded"
    ALERT_CREATED = "alert.created"
    ALERT_VIEWED = "alert.viewed"
    ALERT_DECIDED = "alert.decided"
    ALERT_CONFIRMED = "alert.confirmed"
    ALERT_REJECTED = "alert.rejected"
    ALERT_EXPIRED = "alert.expired"
    ALERT_NOTIFIED = "alert.notified"
    ALERT_NOTIFY_ABANDONED = "alert.notify_abandoned"
    ALERT_EVIDENCE_DELETED = "alert.evidence_deleted"
    FACE_IMAGE_VIEWED = "face_image.viewed"
    AUDIT_EXPORTED = "audit.exported"
    AUDIT_VIEWED = "audit.viewed"
    KEYS_ROTATION_STARTED = "keys.rotation_started"
    KEYS_ROTATED = "keys.rotated"
    RETENTION_RUN = "retention.run"
    SUBJECT_ACCESS_SEARCHED = "subject_access.searched"
    SUBJECT_ACCESS_EXPORTED = "subject_access.exported"
    SUBJECT_ERASED = "subject_access.erased"


SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class AuditEvent:
    """One thing that happened, before it is placed in the chain.

    actor: the username (or ``system``); record_type/record_id: what it happened to;
    reason: why, in the actor's words or the system's; details: small extra facts
    (strings only, so the canonical form is unambiguous).
    """

    actor: str
    action: AuditAction
    record_type: str
    record_id: str
    reason: str = ""
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainEntry:
    """An event placed in the chain: its position, time, and the hashes that link it."""

    seq: int
    at: datetime
    actor: str
    action: str
    record_type: str
    record_id: str
    reason: str
    details: dict[str, str]
    prev_hash: str
    hash: str
