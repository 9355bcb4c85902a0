"""Who is calling: a browser session (cookie) or an API token (Bearer), and what they may do.

Every route depends on ``require(permission)`` or is listed in ``PUBLIC`` routes: the route
table test checks each one as every role and as nobody. Unsafe requests made with a session
cookie must carry the session's CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``); Bearer requests carry no cookie, so they cannot be forged cross-site.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from clearsight.service import (
    Permission,
    Principal,
    ServiceContext,
    principal_of_session,
    principal_of_token,
)

SESSION_COOKIE = "cs_session"
PRE_SESSION_COOKIE = "cs_csrf"  # double-submit token for the sign-in and set-up forms
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PasswordChangeRequiredError(Exception):
    """The password was reset by an admin: the user is sent to the password page."""


class LoginRequiredError(Exception):
    """No valid credentials: API callers get 401, browsers are sent to the sign-in page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def service(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.clearsight
    return ctx


def _resolve(request: Request) -> Principal | None:
    ctx = service(request)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise LoginRequiredError("the Authorization header must be 'Bearer <token>'")
        principal = principal_of_token(ctx, secret.strip())
        if principal is None:
            raise LoginRequiredError("the API token is invalid, expired or revoked")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    return principal_of_session(ctx, cookie) if cookie else None


async def current_principal(request: Request) -> Principal | None:
    """The caller, resolved once per request; None when nobody is signed in."""
    if not hasattr(request.state, "principal"):
        request.state.principal = await run_in_threadpool(_resolve, request)
    principal: Principal | None = request.state.principal
    return principal


async def check_csrf(request: Request, expected: str | None) -> None:
    if request.method not in UNSAFE_METHODS:
        return
    supplied = request.headers.get("x-csrf-token")
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")  # a form's own field wins
        supplied = value if isinstance(value, str) else supplied
    if not expected or not supplied or not hmac.compare_digest(supplied, expected):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")


def require(
    permission: Permission, *, before_password_change: bool = False
) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that lets the request through only with ``permission``; only routes
    marked ``before_password_change`` open while a reset password awaits its change."""

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if principal is None:
            raise LoginRequiredError("sign in first")
        if principal.csrf_token is not None:
            await check_csrf(request, principal.csrf_token)
        if principal.must_change_password and not before_password_change:
            raise PasswordChangeRequiredError()
        if not principal.can(permission):
            raise HTTPException(
                403,
                f"your role ({principal.role.value}) may not do this (needs {permission.value})",
            )
        return principal

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


def allowed(permission: Permission) -> Any:
    """A route parameter's default that admits only a principal with ``permission``
    (``principal: Principal = allowed(Permission.REVIEW)``)."""
    return Depends(require(permission))


def pre_session_token(request: Request) -> str:
    """The anonymous forms' CSRF token (reused from the cookie, or new)."""
    return request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)


async def check_pre_session_csrf(request: Request) -> None:
    await check_csrf(request, request.cookies.get(PRE_SESSION_COOKIE))
