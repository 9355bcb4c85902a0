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

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from clearsight.service import ROLE_PERMISSIONS, Permission, Principal, ServiceContext
from clearsight.store import Role, User, accounts

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


def powers_of(user: User) -> frozenset[Permission]:
    """The role's permissions once a second admin approved the account's role and sites;
    until then only ``account`` (sign in, see the home page)."""
    if not accounts.is_approved(user):
        return frozenset({Permission.ACCOUNT})
    return ROLE_PERMISSIONS[Role(user.role)]


def _resolve(request: Request) -> Principal | None:
    ctx = service(request)
    now = ctx.now()
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise LoginRequiredError("the Authorization header must be 'Bearer <token>'")
        with ctx.db.read_session() as session:
            found = accounts.find_api_token(session, secret.strip(), now)
            if found is None:
                raise LoginRequiredError("the API token is invalid, expired or revoked")
            user, scopes = found
            role = Role(user.role)
            allowed = powers_of(user) & {
                Permission(s) for s in scopes if s in Permission.__members__.values()
            }
            return Principal(
                user.id,
                user.username,
                role,
                frozenset(allowed),
                None,
                not accounts.is_approved(user),
            )
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with ctx.db.read_session() as session:
        found_session = accounts.find_session(session, cookie, now)
        if found_session is None:
            return None
        user, row = found_session
        return Principal(
            user.id,
            user.username,
            Role(user.role),
            powers_of(user),
            row.csrf_token,
            pending_approval=not accounts.is_approved(user),
            must_change_password=user.must_change_password,
        )


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


def pre_session_token(request: Request) -> str:
    """The anonymous forms' CSRF token (reused from the cookie, or new)."""
    return request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)


async def check_pre_session_csrf(request: Request) -> None:
    await check_csrf(request, request.cookies.get(PRE_SESSION_COOKIE))
