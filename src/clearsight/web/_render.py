"""Server-side rendering with the package's Jinja2 templates (no CDN, no client framework)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from clearsight.service import Permission, Principal, usecases
from clearsight.web import _display as display

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")

_templates: Jinja2Templates | None = None


def templates() -> Jinja2Templates:
    global _templates  # built on first use, not at import
    if _templates is None:
        _templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
        display.install(_templates.env)
    return _templates


def _single_admin_trial(request: Request) -> bool:
    return usecases.single_admin_trial(request.app.state.clearsight)


def render(
    request: Request, name: str, principal: Principal | None, status: int = 200, **values: Any
) -> HTMLResponse:
    context = {
        "principal": principal,
        "single_admin_trial": principal is not None and _single_admin_trial(request),
        "csrf_token": principal.csrf_token if principal else values.pop("csrf_token", ""),
        "P": Permission,
        **values,
    }
    return templates().TemplateResponse(request, name, context, status_code=status)
