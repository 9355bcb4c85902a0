"""Who acts (a ``Principal``), the permissions each role holds, and API-token scopes (a
subset of permissions)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clearsight.store import Role, User, accounts

if TYPE_CHECKING:
    from clearsight.service._context import ServiceContext


class Permission(enum.StrEnum):
    ACCOUNT = "account"  # every signed-in user: home page, own tokens, sign out, API document
    USERS_MANAGE = "users:manage"
    CAMERAS_MANAGE = "cameras:manage"
    WATCHLIST_READ = "watchlist:read"
    WATCHLIST_ENROL = "watchlist:enrol"
    WATCHLIST_APPROVE = "watchlist:approve"
    REFERENCE_VIEW = "faces:reference"
    ALERTS_REVIEW = "alerts:review"
    ALERTS_INGEST = "alerts:ingest"
    ALERTS_HISTORY = "alerts:history"  # the event history: past alerts and their decisions
    METRICS_READ = "metrics:read"  # Prometheus /metrics (scrape with an API token)
    AUDIT_READ = "audit:read"
    SUBJECT_ACCESS = "privacy:subject_access"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            Permission.ACCOUNT,
            Permission.USERS_MANAGE,
            Permission.CAMERAS_MANAGE,
            Permission.WATCHLIST_READ,
            Permission.WATCHLIST_APPROVE,
            Permission.REFERENCE_VIEW,
            Permission.ALERTS_INGEST,
            Permission.ALERTS_HISTORY,
            Permission.METRICS_READ,
        }
    ),
    Role.ENROLLER: frozenset(
        {
            Permission.ACCOUNT,
            Permission.WATCHLIST_READ,
            Permission.WATCHLIST_ENROL,
            Permission.WATCHLIST_APPROVE,
            Permission.REFERENCE_VIEW,
        }
    ),
    Role.REVIEWER: frozenset(
        {
            Permission.ACCOUNT,
            Permission.ALERTS_REVIEW,
            Permission.REFERENCE_VIEW,
            Permission.ALERTS_HISTORY,
        }
    ),
    # Auditors read the log and the event history; they see no faces and change nothing.
    Role.AUDITOR: frozenset({Permission.ACCOUNT, Permission.AUDIT_READ, Permission.ALERTS_HISTORY}),
    # Privacy officers answer access and erasure requests: they search by a requester's face,
    # export what matches and erase it. Nobody else can; admins cannot grant it to themselves.
    Role.PRIVACY_OFFICER: frozenset({Permission.ACCOUNT, Permission.SUBJECT_ACCESS}),
}


def parse_scopes(text: str) -> frozenset[Permission]:
    """Scopes from space- or comma-separated names; unknown names are refused."""
    names = {part for part in text.replace(",", " ").split() if part}
    known = {p.value for p in Permission}
    unknown = sorted(names - known)
    if unknown:
        raise ValueError(f"unknown scopes {unknown}; known: {sorted(known)}")
    return frozenset(Permission(name) for name in names)


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    role: Role
    permissions: frozenset[Permission]
    csrf_token: str | None
    """Set for browser sessions; None for API tokens."""
    pending_approval: bool = False
    """The account's role and sites wait for a second admin (it holds only ``account``)."""
    must_change_password: bool = False
    """An admin reset the password: until it is changed only the password page opens."""

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def powers_of(user: User) -> frozenset[Permission]:
    """The role's permissions once a second admin approved the account's role and sites;
    until then only ``account`` (sign in, see the home page)."""
    if not accounts.is_approved(user):
        return frozenset({Permission.ACCOUNT})
    return ROLE_PERMISSIONS[Role(user.role)]


def principal_of_token(ctx: ServiceContext, secret: str) -> Principal | None:
    """Who an API token acts for, with the scopes it was given that the role still holds;
    None when the token is unknown, expired or revoked."""
    with ctx.db.read_session() as session:
        found = accounts.find_api_token(session, secret, ctx.now())
        if found is None:
            return None
        user, scopes = found
        allowed = powers_of(user) & {
            Permission(s) for s in scopes if s in Permission.__members__.values()
        }
        return Principal(
            user.id,
            user.username,
            Role(user.role),
            frozenset(allowed),
            None,
            not accounts.is_approved(user),
        )


def principal_of_session(ctx: ServiceContext, secret: str) -> Principal | None:
    """Who a browser session belongs to (with its CSRF token); None when it has ended."""
    with ctx.db.read_session() as session:
        found = accounts.find_session(session, secret, ctx.now())
        if found is None:
            return None
        user, row = found
        return Principal(
            user.id,
            user.username,
            Role(user.role),
            powers_of(user),
            row.csrf_token,
            pending_approval=not accounts.is_approved(user),
            must_change_password=user.must_change_password,
        )
