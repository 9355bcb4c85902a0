"""Subject access and erasure: pages and JSON API for privacy officers.

``POST /api/privacy/requests`` (photos + request reference) searches and opens a case;
``GET /api/privacy/requests/{id}/package`` downloads the zip; ``POST .../erase`` erases. The
pages do the same through forms (each POST carries the CSRF token).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from clearsight.service import Permission, Principal
from clearsight.service import subject_access as sar
from clearsight.web._api import read_uploads
from clearsight.web._auth import require, service
from clearsight.web._render import render
from clearsight.web._schemas import reject_lone_surrogates

api_router = APIRouter(prefix="/api/privacy", tags=["privacy"])
router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


def _officer() -> Any:
    return Depends(require(Permission.SUBJECT_ACCESS))


class MatchOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(title="Kind", description="watchlist_entry or alert.")
    record_id: str = Field(title="Record id", description="The matching record.")
    score: float | None = Field(
        title="Similarity",
        description="Best similarity to the requester's photos; null for an alert found "
        "because it was raised against a matching watchlist entry.",
    )
    via_entry: str | None = Field(
        title="Via entry", description="The matching watchlist entry this alert was raised on."
    )


class CaseOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: str = Field(title="Request id", description="Use it to export or erase.")
    request_ref: str = Field(title="Reference", description="The officer's request reference.")
    created_at: datetime = Field(title="Searched at", description="When the search ran.")
    threshold: float = Field(
        title="Threshold", description="Calibration card threshold at the target FMR."
    )
    target_fmr: float = Field(title="Target FMR", description="Per comparison.")
    faces_searched: int = Field(title="Faces searched", description="Templates compared.")
    faces_unreadable: int = Field(
        title="Unreadable faces", description="Alert crops in which no face was found again."
    )
    matches: list[MatchOut] = Field(title="Matches", description="Best first.")

    @classmethod
    def of(cls, case: sar.SubjectCase) -> CaseOut:
        return cls(
            request_id=case.request_id,
            request_ref=case.request_ref,
            created_at=case.created_at,
            threshold=case.threshold,
            target_fmr=case.target_fmr,
            faces_searched=case.faces_searched,
            faces_unreadable=case.faces_unreadable,
            matches=[
                MatchOut(kind=m.kind, record_id=m.record_id, score=m.score, via_entry=m.via_entry)
                for m in case.matches
            ],
        )


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field(
        min_length=1, max_length=2000, title="Reason", description="Why these records go."
    )
    records: list[Annotated[str, Field(max_length=200)]] | None = Field(
        None,
        max_length=10_000,
        title="Records",
        description="``kind:id`` keys among the case's matches; null erases all of them.",
    )

    @field_validator("reason", "records", mode="before")
    @classmethod
    def _valid_unicode(cls, value: Any, info: ValidationInfo) -> Any:
        reject_lone_surrogates(value, info.field_name or "body")
        return value


class ErasureOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entries: list[str] = Field(title="Entries", description="Watchlist entries erased.")
    alerts: list[str] = Field(title="Alerts", description="Alerts erased.")
    images: int = Field(title="Images", description="Face images (and templates) deleted.")


def _zip(case_ref: str, data: bytes) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in case_ref)[:60] or "request"
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="subject-{safe}.zip"'}
    return Response(data, media_type="application/zip", headers=headers)


@api_router.post("/requests", status_code=201)
def api_search(
    request: Request,
    request_ref: Annotated[str, Form(min_length=1, max_length=200)],
    photos: Annotated[list[UploadFile], File(description="Photos of the requester.")],
    principal: Principal = _officer(),
) -> CaseOut:
    """Search every watchlist entry and alert for the requester's face (audit-logged)."""
    ctx = service(request)
    uploads = read_uploads(ctx.settings.max_upload_bytes, photos)
    return CaseOut.of(sar.search(ctx, principal, uploads, request_ref))


@api_router.get("/requests/{request_id}/package")
def api_package(request_id: str, request: Request, principal: Principal = _officer()) -> Response:
    """The zip package for the requester (audit-logged)."""
    ctx = service(request)
    data = sar.export(ctx, principal, request_id)
    return _zip(sar.get_case(ctx, request_id).request_ref, data)


@api_router.post("/requests/{request_id}/erase")
def api_erase(
    request_id: str, body: EraseIn, request: Request, principal: Principal = _officer()
) -> ErasureOut:
    """Erase the case's records (audit-logged); the case is closed afterwards."""
    done = sar.erase(service(request), principal, request_id, body.reason, body.records)
    return ErasureOut(entries=list(done.entries), alerts=list(done.alerts), images=done.images)


@router.get("/privacy/requests", response_class=HTMLResponse)
def request_form(request: Request, principal: Principal = _officer()) -> Response:
    return render(request, "privacy_request.html", principal)


@router.post("/privacy/requests", response_class=HTMLResponse)
def request_search(
    request: Request,
    request_ref: Annotated[str, Form(max_length=200)],
    photos: Annotated[list[UploadFile], File()],
    principal: Principal = _officer(),
) -> Response:
    ctx = service(request)
    uploads = [u for u in read_uploads(ctx.settings.max_upload_bytes, photos) if u.data]
    case = sar.search(ctx, principal, uploads, request_ref)
    return render(request, "privacy_case.html", principal, case=case)


@router.post("/privacy/requests/{request_id}/package")
def request_package(
    request_id: str, request: Request, principal: Principal = _officer()
) -> Response:
    ctx = service(request)
    data = sar.export(ctx, principal, request_id)
    return _zip(sar.get_case(ctx, request_id).request_ref, data)


@router.post("/privacy/requests/{request_id}/erase", response_class=HTMLResponse)
def request_erase(
    request_id: str,
    request: Request,
    reason: Annotated[str, Form(max_length=2000)],
    records: Annotated[list[str] | None, Form()] = None,
    principal: Principal = _officer(),
) -> Response:
    ctx = service(request)
    if not records:
        from clearsight.errors import InputError

        raise InputError("erasure: tick at least one record to erase")
    done = sar.erase(ctx, principal, request_id, reason, records)
    return render(request, "privacy_erased.html", principal, done=done)
