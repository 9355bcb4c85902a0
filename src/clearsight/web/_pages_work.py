"""Pages for the watchlist, the review queue and screen, face images, and the audit viewer."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from clearsight.audit import CSV_HEADER, AuditAction, csv_row
from clearsight.errors import ClearsightError
from clearsight.review import Decision
from clearsight.service import Permission, Principal
from clearsight.service import usecases as services
from clearsight.store import (
    AuditFilter,
    EntryDraft,
    ReasonCategory,
)
from clearsight.web._api import read_uploads
from clearsight.web._auth import allowed, service
from clearsight.web._display import parse_when
from clearsight.web._fmr_words import describe_estimate, describe_point
from clearsight.web._forms import refused_form
from clearsight.web._render import render
from clearsight.web._schemas import MAX_STORED_INT

router = APIRouter(include_in_schema=False)
P = Permission
PNG = "image/png"
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/watchlist", response_class=HTMLResponse)
def watchlist_page(
    request: Request,
    status: Annotated[str, Query(max_length=32)] = "",
    principal: Principal = allowed(P.WATCHLIST_READ),
) -> Response:
    entries = services.watchlist_entries(service(request), status)
    return render(request, "watchlist.html", principal, entries=entries, shown=status)


@router.get("/watchlist/new", response_class=HTMLResponse)
def watchlist_new(request: Request, principal: Principal = allowed(P.WATCHLIST_ENROL)) -> Response:
    ctx = service(request)
    return render(
        request,
        "watchlist_new.html",
        principal,
        reasons=list(ReasonCategory),
        max_days=ctx.config.review.watchlist_max_expiry_days,
    )


ENROL_HINTS = {
    "photos": ("photo", "face", "image", "upload", ".png", ".jpg", ".jpeg", "413"),
    "attested_not_minor": ("attest",),
    "incident_ref": ("incident",),
    "notes": ("notes",),
    "site": ("site",),
    "name": ("name",),
}


@router.post("/watchlist")
def watchlist_create(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    reason_category: Annotated[ReasonCategory, Form()],
    incident_ref: Annotated[str, Form(max_length=200)],
    notes: Annotated[str, Form(max_length=5000)],
    photos: Annotated[list[UploadFile], File()],
    attested_not_minor: Annotated[str | None, Form()] = None,
    site: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = allowed(P.WATCHLIST_ENROL),
) -> Response:
    ctx = service(request)
    draft = EntryDraft(
        name, reason_category, incident_ref, notes, attested_not_minor == "on", site=site
    )
    try:
        uploads = [u for u in read_uploads(ctx.settings.max_upload_bytes, photos) if u.data]
        entry_id = services.enrol(ctx, principal, draft, uploads)
    except (ClearsightError, HTTPException) as error:
        return refused_form(
            request,
            "watchlist_new.html",
            principal,
            error,
            {
                "name": name,
                "reason_category": reason_category.value,
                "incident_ref": incident_ref,
                "notes": notes,
                "site": site,
                "attested_not_minor": attested_not_minor == "on",
            },
            ENROL_HINTS,
            reasons=list(ReasonCategory),
            max_days=ctx.config.review.watchlist_max_expiry_days,
        )
    return RedirectResponse(f"/watchlist/{entry_id}", status_code=303)


@router.get("/watchlist/{entry_id}", response_class=HTMLResponse)
def watchlist_entry(
    entry_id: str, request: Request, principal: Principal = allowed(P.WATCHLIST_READ)
) -> Response:
    entry = services.view_entry(service(request), principal, entry_id)
    return render(
        request,
        "watchlist_entry.html",
        principal,
        entry=entry,
        may_approve=principal.can(P.WATCHLIST_APPROVE)
        and entry.enrolled_by != principal.user_id
        and entry.status == "pending_approval",
        may_correct=principal.can(P.WATCHLIST_ENROL)
        and entry.enrolled_by == principal.user_id
        and entry.status == "pending_approval",
    )


@router.post("/watchlist/{entry_id}/approve")
def watchlist_approve(
    entry_id: str,
    request: Request,
    reason: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = allowed(P.WATCHLIST_APPROVE),
) -> Response:
    services.approve(service(request), principal, entry_id, reason)
    return RedirectResponse(f"/watchlist/{entry_id}", status_code=303)


@router.get("/images/reference/{photo_id}")
def reference_image(
    photo_id: str,
    request: Request,
    reason: Annotated[str, Query(max_length=200)] = "view",
    principal: Principal = allowed(P.REFERENCE_VIEW),
) -> Response:
    data = services.reference_image(service(request), principal, photo_id, reason)
    return Response(data, media_type=PNG, headers=NO_STORE)


@router.get("/images/alerts/{alert_id}/{position}")
def alert_image(
    alert_id: str,
    position: Annotated[int, Path(ge=0, le=MAX_STORED_INT)],
    request: Request,
    reason: Annotated[str, Query(max_length=200)] = "review",
    principal: Principal = allowed(P.ALERTS_REVIEW),
) -> Response:
    data = services.alert_crop(service(request), principal, alert_id, position, reason)
    return Response(data, media_type=PNG, headers=NO_STORE)


@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, principal: Principal = allowed(P.ALERTS_REVIEW)) -> Response:
    ctx = service(request)
    pending, decided = services.awaiting_review(ctx, principal)
    return render(
        request,
        "review_queue.html",
        principal,
        alerts=pending,
        decided=decided,
        required=ctx.config.review.required_confirmations,
    )


@router.get("/review/{alert_id}", response_class=HTMLResponse)
def review_screen(
    alert_id: str, request: Request, principal: Principal = allowed(P.ALERTS_REVIEW)
) -> Response:
    detail = services.alert_detail(service(request), principal, alert_id)
    decided = any(d.reviewer == principal.username for d in detail.decisions)
    return render(
        request,
        "review_alert.html",
        principal,
        d=detail,
        fmr_meaning=describe_estimate(detail.alert),
        point_words=describe_point(detail.alert),
        decided=decided,
        decisions=list(Decision),
        required=service(request).config.review.required_confirmations,
    )


@router.post("/review/{alert_id}/decide")
def review_decide(
    alert_id: str,
    request: Request,
    decision: Annotated[Decision, Form()],
    comment: Annotated[str, Form(max_length=2000)],
    principal: Principal = allowed(P.ALERTS_REVIEW),
) -> Response:
    services.decide(service(request), principal, alert_id, decision, comment)
    return RedirectResponse(f"/review/{alert_id}", status_code=303)


def _audit_filter(
    actor: str, action: str, record_id: str, since: str, until: str
) -> tuple[AuditFilter, dict[str, str]]:
    """The filter the form asked for, and the problems with it (field -> message).

    Empty fields mean "no bound"; a time without a zone is read as UTC, the zone the page
    shows times in.
    """
    errors: dict[str, str] = {}
    bounds: dict[str, datetime | None] = {}
    for name, text in (("since", since), ("until", until)):
        try:
            bounds[name] = parse_when(text)
        except ValueError as error:
            errors[name] = str(error)
            bounds[name] = None
    where = AuditFilter(
        actor.strip(), action.strip(), record_id.strip(), bounds["since"], bounds["until"]
    )
    return where, errors


def _filter_query(where: AuditFilter) -> str:
    """The filter as a query string, so the export link asks for exactly what is shown."""
    values = {
        "actor": where.actor,
        "action": where.action,
        "record_id": where.record_id,
        "since": where.since.isoformat() if where.since else "",
        "until": where.until.isoformat() if where.until else "",
    }
    return urlencode({k: v for k, v in values.items() if v})


AUDIT_PAGE_ROWS = 500
Text200 = Annotated[str, Query(max_length=200)]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    actor: Text200 = "",
    action: Text200 = "",
    record_id: Text200 = "",
    since: Text200 = "",
    until: Text200 = "",
    principal: Principal = allowed(P.AUDIT_READ),
) -> Response:
    where, errors = _audit_filter(actor, action, record_id, since, until)
    page = services.audit_page(service(request), None if errors else where, AUDIT_PAGE_ROWS)
    entries, total, report = page.entries, page.total, page.chain
    return render(
        request,
        "audit.html",
        principal,
        400 if errors else 200,
        entries=entries,
        total=total,
        where=where,
        values={"since": since, "until": until},
        errors=errors,
        export_query=_filter_query(where),
        actions=[a.value for a in AuditAction],
        report=report,
    )


@router.get("/audit/export.csv")
def audit_export(
    request: Request,
    actor: Text200 = "",
    action: Text200 = "",
    record_id: Text200 = "",
    since: Text200 = "",
    until: Text200 = "",
    principal: Principal = allowed(P.AUDIT_READ),
) -> Response:
    ctx = service(request)
    where, errors = _audit_filter(actor, action, record_id, since, until)
    if errors:
        raise HTTPException(400, "; ".join(f"{k}: {v}" for k, v in errors.items()))
    entries = services.export_audit(ctx, principal, where, _filter_query(where))

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADER)
        for e in reversed(entries):
            writer.writerow(csv_row(e))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        rows(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="clearsight-audit.csv"', **NO_STORE},
    )
