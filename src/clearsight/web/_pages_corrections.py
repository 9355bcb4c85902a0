"""Correcting what was entered: one's own password, users (password reset, role, sites,
re-enabling), pending watchlist entries (reject, withdraw, edit) and cameras (delete).

Every change is audited by the store function that makes it. A refused form comes back with
what was typed and the error beside its field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clearsight.errors import ClearsightError
from clearsight.service import Permission, Principal, usecases
from clearsight.store import ReasonCategory, Role, accounts, corrections, watchlist
from clearsight.store import cameras as store_cameras
from clearsight.web._auth import SESSION_COOKIE, require, service
from clearsight.web._errors import refusal
from clearsight.web._forms import refused_form
from clearsight.web._render import render

router = APIRouter(include_in_schema=False)
P = Permission
Reason = Annotated[str, Form(max_length=2000)]


def _as(permission: Permission) -> Any:
    return Depends(require(permission))


# One's own password ---------------------------------------------------------------------


@router.get("/account/password", response_class=HTMLResponse)
def password_page(
    request: Request,
    principal: Principal = Depends(require(P.ACCOUNT, before_password_change=True)),
) -> Response:
    return render(request, "password.html", principal, values={}, errors={})


@router.post("/account/password")
def password_change(
    request: Request,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
    repeat: Annotated[str, Form(max_length=1000)],
    principal: Principal = Depends(require(P.ACCOUNT, before_password_change=True)),
) -> Response:
    ctx = service(request)
    hints = {"current": ("current",), "repeat": ("repeat", "match"), "new": ("password",)}
    try:
        if new != repeat:
            raise HTTPException(400, "the new password and its repeat do not match")
        with ctx.db.session() as s:
            cookie = request.cookies.get(SESSION_COOKIE)
            keep = accounts.secret_hash(cookie) if cookie else None  # this session stays
            corrections.change_own_password(s, principal.user_id, current, new, ctx.now(), keep)
    except (ClearsightError, HTTPException) as error:
        return refused_form(request, "password.html", principal, error, {}, hints)
    return render(request, "password.html", principal, values={}, errors={}, done=True)


# Users ----------------------------------------------------------------------------------


def _user_page(
    request: Request, principal: Principal, user_id: str, status: int = 200, **extra: Any
) -> Response:
    from clearsight.store import sites as store_sites

    with service(request).db.read_session() as s:
        user = accounts.get_user(s, user_id)
        sites = ", ".join(sorted(store_sites.sites_of(user)))
    return render(
        request, "user.html", principal, status, user=user, sites=sites, roles=list(Role), **extra
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_page(
    user_id: str, request: Request, principal: Principal = _as(P.USERS_MANAGE)
) -> Response:
    return _user_page(request, principal, user_id)


def _user_refused(
    request: Request,
    principal: Principal,
    user_id: str,
    form: str,
    error: ClearsightError | HTTPException,
) -> Response:
    """The user's page again, the error beside the form that was refused."""
    status, message = refusal(error)
    return _user_page(request, principal, user_id, status, errors={form: message})


@router.post("/users/{user_id}/password")
def users_reset_password(
    user_id: str,
    request: Request,
    password: Annotated[str, Form(max_length=1000)],
    reason: Reason = "",
    principal: Principal = _as(P.USERS_MANAGE),
) -> Response:
    """Set a temporary password; the user must choose a new one at their next sign-in."""
    ctx = service(request)
    try:
        with ctx.db.session() as s:
            actor = accounts.get_user(s, principal.user_id)
            corrections.reset_password(s, user_id, password, actor, ctx.now(), reason)
    except (ClearsightError, HTTPException) as error:
        return _user_refused(request, principal, user_id, "password", error)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/role")
def users_set_role(
    user_id: str,
    request: Request,
    role: Annotated[str, Form(max_length=32)],
    reason: Reason = "",
    principal: Principal = _as(P.USERS_MANAGE),
) -> Response:
    ctx = service(request)
    try:
        if role not in Role.__members__.values():
            raise HTTPException(
                400, f"role {role!r}: not one of {', '.join(r.value for r in Role)}"
            )
        with ctx.db.session() as s:
            actor = accounts.get_user(s, principal.user_id)
            corrections.set_role(s, user_id, Role(role), actor, ctx.now(), reason)
    except (ClearsightError, HTTPException) as error:
        return _user_refused(request, principal, user_id, "role", error)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/enable")
def users_enable(
    user_id: str, request: Request, reason: Reason = "", principal: Principal = _as(P.USERS_MANAGE)
) -> Response:
    ctx = service(request)
    try:
        with ctx.db.session() as s:
            actor = accounts.get_user(s, principal.user_id)
            corrections.enable_user(s, user_id, actor, ctx.now(), reason)
    except (ClearsightError, HTTPException) as error:
        return _user_refused(request, principal, user_id, "enable", error)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


# Pending watchlist entries -------------------------------------------------------------


@router.post("/watchlist/{entry_id}/reject")
def watchlist_reject(
    entry_id: str,
    request: Request,
    reason: Reason = "",
    principal: Principal = _as(P.WATCHLIST_APPROVE),
) -> Response:
    ctx = service(request)
    approver = usecases.acting_user(ctx, principal)
    with ctx.db.session() as s:
        corrections.reject_entry(s, entry_id, approver, ctx.now(), reason)
    return RedirectResponse(f"/watchlist/{entry_id}", status_code=303)


@router.post("/watchlist/{entry_id}/withdraw")
def watchlist_withdraw(
    entry_id: str,
    request: Request,
    reason: Reason = "",
    principal: Principal = _as(P.WATCHLIST_ENROL),
) -> Response:
    ctx = service(request)
    enroller = usecases.acting_user(ctx, principal)
    with ctx.db.session() as s:
        corrections.withdraw_entry(s, entry_id, enroller, ctx.now(), reason)
    return RedirectResponse(f"/watchlist/{entry_id}", status_code=303)


EDIT_HINTS = {
    "reason": ("reason for", "give a reason", "the reason", "edit:"),
    "incident_ref": ("incident",),
    "notes": ("notes",),
    "site": ("site",),
    "name": ("name",),
}


@router.get("/watchlist/{entry_id}/edit", response_class=HTMLResponse)
def watchlist_edit_page(
    entry_id: str, request: Request, principal: Principal = _as(P.WATCHLIST_ENROL)
) -> Response:
    with service(request).db.read_session() as s:
        entry = watchlist.get_entry(s, entry_id)
        values = {
            "name": entry.name,
            "reason_category": entry.reason_category,
            "incident_ref": entry.incident_ref,
            "notes": entry.notes,
            "site": entry.site,
        }
    return render(
        request,
        "watchlist_edit.html",
        principal,
        entry_id=entry_id,
        values=values,
        errors={},
        reasons=list(ReasonCategory),
    )


@router.post("/watchlist/{entry_id}/edit")
def watchlist_edit(
    entry_id: str,
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    reason_category: Annotated[str, Form(max_length=32)] = "",
    incident_ref: Annotated[str, Form(max_length=200)] = "",
    notes: Annotated[str, Form(max_length=5000)] = "",
    site: Annotated[str, Form(max_length=100)] = "",
    reason: Reason = "",
    principal: Principal = _as(P.WATCHLIST_ENROL),
) -> Response:
    ctx = service(request)
    values = {
        "name": name,
        "reason_category": reason_category,
        "incident_ref": incident_ref,
        "notes": notes,
        "site": site,
        "reason": reason,
    }
    try:
        if reason_category not in ReasonCategory.__members__.values():
            raise HTTPException(400, f"reason {reason_category!r}: not a listed reason")
        enroller = usecases.acting_user(ctx, principal)
        edit = corrections.EntryEdit(
            name, ReasonCategory(reason_category), incident_ref, notes, site
        )
        with ctx.db.session() as s:
            corrections.edit_entry(s, entry_id, edit, enroller, ctx.now(), reason)
    except (ClearsightError, HTTPException) as error:
        return refused_form(
            request,
            "watchlist_edit.html",
            principal,
            error,
            values,
            EDIT_HINTS,
            entry_id=entry_id,
            reasons=list(ReasonCategory),
        )
    return RedirectResponse(f"/watchlist/{entry_id}", status_code=303)


# Cameras --------------------------------------------------------------------------------


@router.post("/cameras/{camera_id}/delete")
def cameras_delete(
    camera_id: str,
    request: Request,
    reason: Reason = "",
    principal: Principal = _as(P.CAMERAS_MANAGE),
) -> Response:
    """Remove a camera (its worker stops within a poll); its alerts stay in the history."""
    ctx = service(request)
    try:
        with ctx.db.session() as s:
            corrections.delete_camera(s, camera_id, principal.username, ctx.now(), reason)
    except ClearsightError as error:
        with ctx.db.read_session() as s:
            camera = store_cameras.get_camera(s, camera_id)
        return refused_form(
            request,
            "camera_edit.html",
            principal,
            error,
            {"reason": reason},
            {"reason": ("reason",)},
            camera=camera,
        )
    return RedirectResponse("/cameras", status_code=303)
