"""The OpenAPI document of the JSON API, with the responses the service really gives.

FastAPI describes only the success and a 422 body it does not send here (the error handlers
in ``_app.py`` answer every error with ``{"detail": "<one line>"}``). This adds that body as
``Error``, declares each status an operation can answer with, and the bearer scheme.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What is wrong, in one line."}},
    "required": ["detail"],
}

# Status -> when it is answered. Every operation but the health check may answer with each.
ERRORS: dict[str, str] = {
    "400": "A value the schema allows but the service cannot use (an unreadable image, bad "
    "base64, a malformed Authorization header value), or a body that is not valid JSON.",
    "401": "No valid credentials: sign in, or send a valid, unexpired API token.",
    "403": "Signed in, but the role or the token's scopes do not allow this, the account "
    "waits for a second admin's approval, or a browser request lacks its CSRF token.",
    "404": "No such record, or one the caller may not see (another site's).",
    "405": "The path exists but not with this method.",
    "409": "A rule refuses it: a two-person rule, an expired or settled record, a duplicate.",
    "413": "The body or an uploaded file is over the size limit.",
    "422": "A field is missing, of the wrong type, out of range or not allowed.",
    "503": "The database or the encryption key is unavailable; try again.",
}
PUBLIC = "x-clearsight-public"  # set by a route's openapi_extra: it needs no credentials


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def build_document(app: FastAPI, openapi_version: str = "3.1.0") -> dict[str, Any]:
    """The document for ``app``'s API routes, error responses included."""
    document = get_openapi(
        title=app.title, version=app.version, routes=app.routes, openapi_version=openapi_version
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (made on the API tokens page); its scopes narrow "
            "the owner's role.",
        }
    }
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if operation.pop(PUBLIC, False):
                responses.pop("422", None)
                continue
            operation["security"] = [{"bearer": []}]
            for status, description in ERRORS.items():
                responses[status] = _error_response(description)
    return document


def openapi_document(app: FastAPI, openapi_version: str = "3.1.0") -> dict[str, Any]:
    """Built once per app and version (the routes do not change), a copy each call."""
    if not hasattr(app.state, "openapi_documents"):
        app.state.openapi_documents = {}
    documents: dict[str, dict[str, Any]] = app.state.openapi_documents
    if openapi_version not in documents:
        documents[openapi_version] = build_document(app, openapi_version)
    return copy.deepcopy(documents[openapi_version])
