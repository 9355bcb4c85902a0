"""Correcting what was entered, each in one transaction audited by the store function that
makes it: one's own password, users (password reset, role, re-enabling), pending watchlist
entries (reject, withdraw, edit) and cameras (delete)."""

from __future__ import annotations

from dataclasses import dataclass

from clearsight.service._context import ServiceContext
from clearsight.service._permissions import Principal
from clearsight.service.usecases import acting_user
from clearsight.store import (
    Camera,
    Role,
    User,
    accounts,
    corrections,
    sites,
    watchlist,
)
from clearsight.store import cameras as store_cameras

EntryEdit = corrections.EntryEdit


def change_own_password(
    ctx: ServiceContext, principal: Principal, current: str, new: str, session: str | None
) -> None:
    """Change the caller's password; every other session of theirs ends, ``session`` (the
    browser session making the change) stays."""
    keep = accounts.secret_hash(session) if session else None
    with ctx.db.session() as s:
        corrections.change_own_password(s, principal.user_id, current, new, ctx.now(), keep)


@dataclass(frozen=True)
class UserView:
    user: User
    sites: str
    """The user's sites, comma-separated; empty for every site."""


def user_view(ctx: ServiceContext, user_id: str) -> UserView:
    with ctx.db.read_session() as s:
        user = accounts.get_user(s, user_id)
        return UserView(user, ", ".join(sorted(sites.sites_of(user))))


def reset_password(
    ctx: ServiceContext, principal: Principal, user_id: str, password: str, reason: str
) -> None:
    """Set a temporary password; the user must choose a new one at their next sign-in."""
    with ctx.db.session() as s:
        actor = accounts.get_user(s, principal.user_id)
        corrections.reset_password(s, user_id, password, actor, ctx.now(), reason)


def set_role(
    ctx: ServiceContext, principal: Principal, user_id: str, role: Role, reason: str
) -> None:
    with ctx.db.session() as s:
        actor = accounts.get_user(s, principal.user_id)
        corrections.set_role(s, user_id, role, actor, ctx.now(), reason)


def enable_user(ctx: ServiceContext, principal: Principal, user_id: str, reason: str) -> None:
    with ctx.db.session() as s:
        actor = accounts.get_user(s, principal.user_id)
        corrections.enable_user(s, user_id, actor, ctx.now(), reason)


def reject_entry(ctx: ServiceContext, principal: Principal, entry_id: str, reason: str) -> None:
    approver = acting_user(ctx, principal)
    with ctx.db.session() as s:
        corrections.reject_entry(s, entry_id, approver, ctx.now(), reason)


def withdraw_entry(ctx: ServiceContext, principal: Principal, entry_id: str, reason: str) -> None:
    enroller = acting_user(ctx, principal)
    with ctx.db.session() as s:
        corrections.withdraw_entry(s, entry_id, enroller, ctx.now(), reason)


def entry_fields(ctx: ServiceContext, entry_id: str) -> dict[str, str]:
    """A watchlist entry's editable fields as they are now."""
    with ctx.db.read_session() as s:
        entry = watchlist.get_entry(s, entry_id)
        return {
            "name": entry.name,
            "reason_category": entry.reason_category,
            "incident_ref": entry.incident_ref,
            "notes": entry.notes,
            "site": entry.site,
        }


def edit_entry(
    ctx: ServiceContext, principal: Principal, entry_id: str, edit: EntryEdit, reason: str
) -> None:
    enroller = acting_user(ctx, principal)
    with ctx.db.session() as s:
        corrections.edit_entry(s, entry_id, edit, enroller, ctx.now(), reason)


def delete_camera(ctx: ServiceContext, principal: Principal, camera_id: str, reason: str) -> None:
    """Remove a camera (its worker stops within a poll); its alerts stay in the history."""
    with ctx.db.session() as s:
        corrections.delete_camera(s, camera_id, principal.username, ctx.now(), reason)


def camera(ctx: ServiceContext, camera_id: str) -> Camera:
    with ctx.db.read_session() as s:
        return store_cameras.get_camera(s, camera_id)


__all__ = [
    "EntryEdit",
    "UserView",
    "camera",
    "change_own_password",
    "delete_camera",
    "edit_entry",
    "enable_user",
    "entry_fields",
    "reject_entry",
    "reset_password",
    "set_role",
    "user_view",
    "withdraw_entry",
]
