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
from clearsight.service import Permission, Principal, corrections
from clearsight.store import ReasonCategory, Role
from clearsight.web._auth import SESSION_COOKIE, allowed, require, service
from clearsight.web._errors import refusal
from clearsight.web._forms import refused_form
from clearsight.web._render import render

router = APIRouter(include_in_schema=False)
P = Permission
Reason = Annotated[str, Form(max_length=2000)]


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
        session = request.cookies.get(SESSION_COOKIE)  # this session stays signed in
        corrections.change_own_password(ctx, principal, current, new, session)
    except (ClearsightError, HTTPException) as error:
        return refused_form(request, "password.html", principal, error, {}, hints)
    return render(request, "password.html", principal, values={}, errors={}, done=True)


# Users ----------------------------------------------------------------------------------


def _user_page(
    request: Request, principal: Principal, user_id: str, status: int = 200, **extra: Any
) -> Response:
    view = corrections.user_view(service(request), user_id)
    return render(
        request,
        "user.html",
        principal,
        status,
        user=view.user,
        sites=view.sites,
        roles=list(Role),
        **extra,
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_page(
    user_id: str, request: Request, principal: Principal = allowed(P.USERS_MANAGE)
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
    principal: Principal = allowed(P.USERS_MANAGE),
) -> Response:
    """Set a temporary password; the user must choose a new one at their next sign-in."""
    ctx = service(request)
    try:
        corrections.reset_password(ctx, principal, user_id, password, reason)
    except (ClearsightError, HTTPException) as error:
        return _user_refused(request, principal, user_id, "password", error)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/role")
def users_set_role(
    user_id: str,
    request: Request,
    role: Annotated[str, Form(max_length=32)],
    reason: Reason = "",
    principal: Principal = allowed(P.USERS_MANAGE),
) -> Response:
    ctx = service(request)
    try:
        if role not in Role.__members__.values():
            raise HTTPException(
                400, f"role {role!r}: not one of {', '.join(r.value for r in Role)}"
            )
        corrections.set_role(ctx, principal, user_id, Role(role), reason)
    except (ClearsightError, HTTPException) as error:
        return _user_refused(request, principal, user_id, "role", error)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/enable")
def users_enable(
    user_id: str,
    request: Request,
    reason: Reason = "",
    principal: Principal = allowed(P.USERS_MANAGE),
) -> Response:
    ctx = service(request)
    try:
        corrections.enable_user(ctx, principal, user_id, reason)
    except (ClearsightError, HTTPException) as error:
        return _user_refused(request, principal, user_id, "enable", error)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


# Pending watchlist entries -------------------------------------------------------------


@router.post("/watchlist/{entry_id}/reject")
def watchlist_reject(
    entry_id: str,
    request: Request,
    reason: Reason = "",
    principal: Principal = allowed(P.WATCHLIST_APPROVE),
) -> Response:
    corrections.reject_entry(service(request), principal, entry_id, reason)
    return RedirectResponse(f"/watchlist/{entry_id}", status_code=303)


@router.post("/watchlist/{entry_id}/withdraw")
def watchlist_withdraw(
    entry_id: str,
    request: Request,
    reason: Reason = "",
    principal: Principal = allowed(P.WATCHLIST_ENROL),
) -> Response:
    corrections.withdraw_entry(service(request), principal, entry_id, reason)
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
    entry_id: str, request: Request, principal: Principal = allowed(P.WATCHLIST_ENROL)
) -> Response:
    values = corrections.entry_fields(service(request), entry_id)
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
    principal: Principal = allowed(P.WATCHLIST_ENROL),
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
        edit = corrections.EntryEdit(
            name, ReasonCategory(reason_category), incident_ref, notes, site
        )
        corrections.edit_entry(ctx, principal, entry_id, edit, reason)
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
    principal: Principal = allowed(P.CAMERAS_MANAGE),
) -> Response:
    """Remove a camera (its worker stops within a poll); its alerts stay in the history."""
    ctx = service(request)
    try:
        corrections.delete_camera(ctx, principal, camera_id, reason)
    except ClearsightError as error:
        camera = corrections.camera(ctx, camera_id)
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
