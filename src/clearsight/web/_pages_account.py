"""Pages for signing in, first-start set-up, the home page, users, cameras and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from clearsight.errors import ClearsightError, InputError, PolicyError
from clearsight.service import (
    Permission,
    Principal,
    corrections,
    home_counts,
    parse_scopes,
    usecases,
)
from clearsight.service import accounts as account_cases
from clearsight.store import CameraFields, Role, User
from clearsight.store import sites as store_sites
from clearsight.web._auth import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    allowed,
    check_pre_session_csrf,
    current_principal,
    pre_session_token,
    require,
    service,
)
from clearsight.web._forms import refused_form
from clearsight.web._limits import client_address
from clearsight.web._render import render
from clearsight.web._schemas import VendorRiskOut

router = APIRouter(include_in_schema=False)
P = Permission


def _anonymous_form(request: Request, name: str, status: int = 200, **values: Any) -> Response:
    token = pre_session_token(request)
    response = render(request, name, None, status, csrf_token=token, **values)
    ctx = service(request)
    response.set_cookie(
        PRE_SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
        max_age=3600,
    )
    return response


def _start_session(request: Request, user: User) -> Response:
    ctx = service(request)
    new = account_cases.open_session(ctx, user, client_address(request.scope))
    response = RedirectResponse(
        "/account/password" if user.must_change_password else "/", status_code=303
    )
    response.set_cookie(
        SESSION_COOKIE,
        new.secret,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
        max_age=ctx.settings.session_ttl_minutes * 60,
    )
    response.delete_cookie(PRE_SESSION_COOKIE)
    return response


@router.get("/setup", response_class=HTMLResponse)
def setup_form(request: Request, token: str = "") -> Response:
    if not account_cases.setup_token_valid(service(request), token):
        raise HTTPException(404, "this set-up link is invalid, expired or already used")
    return _anonymous_form(request, "setup.html", token=token)


@router.post("/setup", dependencies=[Depends(check_pre_session_csrf)])
def setup_submit(
    request: Request,
    token: Annotated[str, Form()],
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    user = account_cases.complete_setup(service(request), token, username.strip().lower(), password)
    return _start_session(request, user)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _anonymous_form(request, "login.html")


@router.post("/login", dependencies=[Depends(check_pre_session_csrf)])
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    ctx = service(request)
    address = client_address(request.scope)
    username = username.strip().lower()
    if ctx.limiter.blocked(username, address):
        return _anonymous_form(
            request, "login.html", 429, error="too many failed sign-ins; wait and try again"
        )
    user = account_cases.authenticate(ctx, username, password, address)
    if user is None:
        ctx.limiter.failed(username, address)
        return _anonymous_form(request, "login.html", 401, error="wrong user name or password")
    ctx.limiter.succeeded(username, address)
    return _start_session(request, user)


@router.post("/logout")
def logout(
    request: Request,
    principal: Principal = Depends(require(P.ACCOUNT, before_password_change=True)),
) -> Response:
    account_cases.sign_out(service(request), principal, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    principal = await current_principal(request)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if principal.must_change_password:
        return RedirectResponse("/account/password", status_code=303)
    counts = await run_in_threadpool(home_counts, service(request), principal)
    return render(request, "home.html", principal, counts=counts)


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, principal: Principal = allowed(P.ACCOUNT)) -> Response:
    tokens = account_cases.api_tokens(service(request), principal)
    return render(
        request,
        "tokens.html",
        principal,
        tokens=tokens,
        scopes=sorted(p.value for p in principal.permissions),
    )


@router.post("/account/tokens", response_class=HTMLResponse)
def tokens_create(
    request: Request,
    name: Annotated[str, Form(max_length=100)],
    scopes: Annotated[str, Form(max_length=1000)],
    principal: Principal = allowed(P.ACCOUNT),
) -> Response:
    try:
        wanted = parse_scopes(scopes)
    except ValueError as error:
        raise HTTPException(400, str(error)) from error
    if not wanted <= principal.permissions:
        raise HTTPException(403, "a token cannot hold scopes your role does not have")
    token, secret = account_cases.create_api_token(service(request), principal, name, wanted)
    return render(request, "token_created.html", principal, token=token, secret=secret)


@router.post("/account/tokens/{token_id}/revoke")
def tokens_revoke(
    token_id: str, request: Request, principal: Principal = allowed(P.ACCOUNT)
) -> Response:
    account_cases.revoke_api_token(service(request), principal, token_id)
    return RedirectResponse("/account/tokens", status_code=303)


def _users(request: Request) -> list[User]:
    return usecases.users(service(request))


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, principal: Principal = allowed(P.USERS_MANAGE)) -> Response:
    return render(
        request, "users.html", principal, users=_users(request), roles=list(Role), values={}
    )


USER_HINTS = {"password": ("password",), "username": ("username", "user ")}


@router.post("/users")
def users_create(
    request: Request,
    username: Annotated[str, Form(max_length=63)],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[Role, Form()],
    principal: Principal = allowed(P.USERS_MANAGE),
) -> Response:
    try:
        usecases.create_user(service(request), principal, username.strip().lower(), password, role)
    except ClearsightError as error:
        return refused_form(
            request,
            "users.html",
            principal,
            error,
            {"username": username, "role": role.value},
            USER_HINTS,
            users=_users(request),
            roles=list(Role),
        )
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/sites")
def users_sites(
    user_id: str,
    request: Request,
    sites: Annotated[str, Form(max_length=5000)] = "",
    principal: Principal = allowed(P.USERS_MANAGE),
) -> Response:
    """Limit a user to the alerts of these sites (comma-separated; empty: every site)."""
    chosen = store_sites.parse_sites(sites)
    usecases.set_user_sites(service(request), principal, user_id, chosen)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/approve")
def users_approve(
    user_id: str,
    request: Request,
    reason: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = allowed(P.USERS_MANAGE),
) -> Response:
    usecases.approve_user(service(request), principal, user_id, reason)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/disable")
def users_disable(
    user_id: str,
    request: Request,
    reason: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = allowed(P.USERS_MANAGE),
) -> Response:
    account_cases.disable_user(service(request), principal, user_id, reason)
    return RedirectResponse("/users", status_code=303)


@router.get("/cameras", response_class=HTMLResponse)
def cameras_page(request: Request, principal: Principal = allowed(P.CAMERAS_MANAGE)) -> Response:
    return render(request, "cameras.html", principal, values={}, **_cameras_context(request))


def _camera_fields(
    name: str, source: str, site: str, vendor: str, model: str, firmware: str, enabled: str | None
) -> CameraFields:
    return CameraFields(
        name=name,
        source=source,
        enabled=enabled == "on",
        site=site,
        vendor=vendor or None,
        model=model or None,
        firmware=firmware or None,
    )


CAMERA_HINTS = {
    "name": ("name", "already exists"),
    "source": ("source",),
    "site": ("site",),
}


def _camera_values(
    name: str, source: str, site: str, vendor: str, model: str, firmware: str, enabled: str | None
) -> dict[str, object]:
    return {
        "name": name,
        "source": source,
        "site": site,
        "vendor": vendor,
        "model": model,
        "firmware": firmware,
        "enabled": enabled == "on",
    }


def _cameras_context(request: Request) -> dict[str, Any]:
    rows = usecases.camera_list(service(request))
    risks = {camera.id: VendorRiskOut.of(camera) for camera in rows}
    return {"cameras": rows, "risks": risks}


@router.post("/cameras")
def cameras_create(
    request: Request,
    name: Annotated[str, Form(max_length=100)],
    source: Annotated[str, Form(max_length=2000)],
    site: Annotated[str, Form(max_length=100)] = "",
    vendor: Annotated[str, Form(max_length=100)] = "",
    model: Annotated[str, Form(max_length=100)] = "",
    firmware: Annotated[str, Form(max_length=100)] = "",
    enabled: Annotated[str | None, Form()] = None,
    principal: Principal = allowed(P.CAMERAS_MANAGE),
) -> Response:
    ctx = service(request)
    try:
        fields = _camera_fields(name, source, site, vendor, model, firmware, enabled)
        usecases.create_camera(ctx, principal, fields)
    except ClearsightError as error:
        return refused_form(
            request,
            "cameras.html",
            principal,
            error,
            _camera_values(name, source, site, vendor, model, firmware, enabled),
            CAMERA_HINTS,
            **_cameras_context(request),
        )
    return RedirectResponse("/cameras", status_code=303)


@router.get("/cameras/{camera_id}", response_class=HTMLResponse)
def camera_page(
    camera_id: str, request: Request, principal: Principal = allowed(P.CAMERAS_MANAGE)
) -> Response:
    camera = corrections.camera(service(request), camera_id)
    return render(request, "camera_edit.html", principal, camera=camera)


@router.post("/cameras/{camera_id}")
def camera_update(
    camera_id: str,
    request: Request,
    name: Annotated[str, Form(max_length=100)],
    source: Annotated[str, Form(max_length=2000)],
    site: Annotated[str, Form(max_length=100)] = "",
    vendor: Annotated[str, Form(max_length=100)] = "",
    model: Annotated[str, Form(max_length=100)] = "",
    firmware: Annotated[str, Form(max_length=100)] = "",
    enabled: Annotated[str | None, Form()] = None,
    principal: Principal = allowed(P.CAMERAS_MANAGE),
) -> Response:
    ctx = service(request)
    try:
        fields = _camera_fields(name, source, site, vendor, model, firmware, enabled)
        usecases.update_camera(ctx, principal, camera_id, fields)
    except (InputError, PolicyError) as error:  # a camera that does not exist stays a 404
        camera = corrections.camera(ctx, camera_id)
        return refused_form(
            request,
            "camera_edit.html",
            principal,
            error,
            _camera_values(name, source, site, vendor, model, firmware, enabled),
            CAMERA_HINTS,
            camera=camera,
        )
    return RedirectResponse("/cameras", status_code=303)
