"""A refused form comes back as the same form, with what was typed and the error beside the
field it is about, rather than an error page that loses everything.

File inputs cannot be filled in again by a server; ``static/forms.js`` submits forms marked
``data-keep`` in the background, so a refusal leaves the page (and the chosen photo) as it
was and only the error messages are put in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response

from clearsight.errors import ClearsightError
from clearsight.service import Principal
from clearsight.web._errors import refusal
from clearsight.web._render import render

FieldHints = Mapping[str, tuple[str, ...]]
"""field name -> words that, found in an error message, say the error is about that field."""


def field_of(message: str, hints: FieldHints) -> str | None:
    lowered = message.lower()
    for field, words in hints.items():
        if any(word in lowered for word in words):
            return field
    return None


def refused_form(
    request: Request,
    template: str,
    principal: Principal | None,
    error: ClearsightError | HTTPException,
    values: Mapping[str, Any],
    hints: FieldHints,
    **extra: Any,
) -> Response:
    """``template`` again with ``values`` and the error beside its field (or above the form)."""
    status, message = refusal(error)
    field = field_of(message, hints)
    errors = {field: message} if field else {}
    return render(
        request,
        template,
        principal,
        status,
        values=dict(values),
        errors=errors,
        form_error=None if field else message,
        **extra,
    )
