"""The HTTP status each kind of refusal gets, shared by the error handlers and the forms."""

from __future__ import annotations

from fastapi import HTTPException

from clearsight.errors import (
    ClearsightError,
    CryptoError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    PolicyError,
    StoreError,
    UploadTooLargeError,
)


def status_of(error: ClearsightError) -> int:
    for kind, status in (
        (NotFoundError, 404),
        (UploadTooLargeError, 413),
        (InputError, 400),
        (PolicyError, 409),
        (PermissionDeniedError, 403),
        (StoreError, 503),
        (CryptoError, 503),
    ):
        if isinstance(error, kind):
            return status
    return 400


def refusal(error: ClearsightError | HTTPException) -> tuple[int, str]:
    """(status, message) of a refused request."""
    if isinstance(error, HTTPException):
        return error.status_code, str(error.detail)
    return status_of(error), str(error)
