"""The ASGI application: ``create_app(context)``, the routes over a service context."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from clearsight.errors import ClearsightError
from clearsight.service import DeploymentConfig, Hooks, ServiceContext, usecases
from clearsight.web import (
    _api,
    _interfaces,
    _pages_account,
    _pages_corrections,
    _pages_history,
    _pages_privacy,
    _pages_settings,
    _pages_work,
)
from clearsight.web._auth import (
    LoginRequiredError,
    PasswordChangeRequiredError,
    current_principal,
)
from clearsight.web._errors import status_of
from clearsight.web._limits import BodySizeLimit, SecurityHeaders
from clearsight.web._render import STATIC_DIR, render

log = logging.getLogger(__name__)


def _route_table(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "route_table", None
    )
    if table is None:
        table = []
        for route in app.router.routes:
            if isinstance(route, APIRoute):
                table.append((route.path_regex, frozenset(route.methods or ())))
            elif hasattr(route, "effective_route_contexts"):  # FastAPI >= 0.160 routers
                for context in route.effective_route_contexts():
                    regex = compile_path(context.path)[0]
                    table.append((regex, frozenset(context.methods or ())))
        app.state.route_table = table
    return table


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """Every method some route answers on ``path`` (for a 405's Allow header)."""
    return {m for regex, methods in _route_table(app) if regex.match(path) for m in methods}


def _is_api(request: Request) -> bool:
    """Machine endpoints answer in JSON (401, not a redirect to the sign-in page)."""
    return request.url.path.startswith("/api/") or request.url.path == "/metrics"


async def _error(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    try:
        principal = await current_principal(request)
    except LoginRequiredError:
        principal = None
    return render(request, "error.html", principal, status, message=message)


def _install_error_handlers(app: FastAPI) -> None:
    async def login_required(request: Request, error: Exception) -> Response:
        message = error.message if isinstance(error, LoginRequiredError) else "sign in first"
        if _is_api(request):
            return JSONResponse(
                {"detail": message}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return RedirectResponse("/login", status_code=303)

    async def password_change_required(request: Request, _: Exception) -> Response:
        message = "your password was reset: choose a new one on the password page first"
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=403)
        return RedirectResponse("/account/password", status_code=303)

    async def clearsight_error(request: Request, error: Exception) -> Response:
        if not isinstance(error, ClearsightError):
            raise error
        status = status_of(error)
        if status >= 500:
            log.error("store failure on %s: %s", request.url.path, error)
        return await _error(request, status, str(error))

    async def http_error(request: Request, error: Exception) -> Response:
        if not isinstance(error, StarletteHTTPException):
            raise error
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Starlette names only the methods of the first route matching the path.
            headers["Allow"] = ", ".join(sorted(allowed_methods(request.app, request.url.path)))
        return await _error(request, error.status_code, str(error.detail), headers)

    async def validation_error(request: Request, error: Exception) -> Response:
        if not isinstance(error, RequestValidationError):
            raise error
        parts = []
        for problem in error.errors():
            where = ".".join(str(x) for x in problem.get("loc", ()) if x != "body")
            message = str(problem.get("msg", "invalid"))
            parts.append(f"{where}: {message}" if where else message)
        return await _error(request, 422, "; ".join(parts) or "invalid request")

    async def database_error(request: Request, error: Exception) -> Response:
        # A constraint hit by a race the checks did not see is a conflict, not a crash;
        # anything else from the database is the server's problem, said without details.
        if isinstance(error, IntegrityError):
            return await _error(request, 409, "the change conflicts with an existing record")
        log.error("database failure on %s: %s", request.url.path, error)
        return await _error(request, 503, "the database is unavailable; try again")

    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(LoginRequiredError, login_required)
    app.add_exception_handler(PasswordChangeRequiredError, password_change_required)
    app.add_exception_handler(ClearsightError, clearsight_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


async def _maintenance_loop(ctx: ServiceContext) -> None:
    interval = ctx.settings.maintenance_interval_s
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(usecases.maintain, ctx)
        except Exception:  # the loop must survive a bad round; the next one retries
            log.exception("maintenance round failed")


def create_app(service: ServiceContext | DeploymentConfig, hooks: Hooks | None = None) -> FastAPI:
    """The web service over a context (``clearsight.service.build_service``), or over a new
    one for ``config`` with ``hooks``. Nothing is opened until it starts (its lifespan
    migrates the database)."""
    if isinstance(service, DeploymentConfig):
        ctx = ServiceContext.build(service, hooks or Hooks())
    else:
        ctx = service
    settings = ctx.settings

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(ctx.db.migrate)
        task = None
        if settings.maintenance_interval_s > 0:
            task = asyncio.create_task(_maintenance_loop(ctx))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            ctx.db.dispose()

    app = FastAPI(
        title="clearsight",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.clearsight = ctx
    _install_error_handlers(app)
    app.include_router(_api.router)
    app.include_router(_pages_account.router)
    app.include_router(_pages_work.router)
    app.include_router(_pages_settings.router)
    app.include_router(_pages_privacy.api_router)
    app.include_router(_pages_privacy.router)
    app.include_router(_pages_corrections.router)
    app.include_router(_pages_history.router)
    app.include_router(_interfaces.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(_interfaces.DOCS_ASSETS, _interfaces.docs_assets(), name="docs-assets")

    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, limit=settings.max_request_bytes)
    return app
