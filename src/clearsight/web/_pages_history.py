"""The event history: past and present alerts with filters, each opening with its decisions.

Reviewers, admins and auditors see it, each limited to their sites. Only reviewers see the
faces (their role's ``alerts:review``); opening an alert is audited like the review screen.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from clearsight.review import AlertStatus
from clearsight.service import Permission, Principal, usecases
from clearsight.store import history
from clearsight.web._auth import allowed, service
from clearsight.web._display import parse_when
from clearsight.web._render import render

router = APIRouter(include_in_schema=False)
P = Permission
Text = Annotated[str, Query(max_length=200)]
PAGE_ROWS = 200


@router.get("/events", response_class=HTMLResponse)
def events_page(
    request: Request,
    since: Text = "",
    until: Text = "",
    camera: Text = "",
    site: Text = "",
    subject: Text = "",
    outcome: Text = "",
    principal: Principal = allowed(P.ALERTS_HISTORY),
) -> Response:
    ctx = service(request)
    errors: dict[str, str] = {}
    bounds = {}
    for name, text in (("since", since), ("until", until)):
        try:
            bounds[name] = parse_when(text)
        except ValueError as error:
            errors[name] = str(error)
            bounds[name] = None
    chosen: AlertStatus | None = None
    if outcome:
        try:
            chosen = AlertStatus(outcome)
        except ValueError:
            errors["outcome"] = f"{outcome!r} is not an outcome"
    where = history.HistoryFilter(
        bounds["since"], bounds["until"], camera.strip(), site.strip(), subject.strip(), chosen
    )
    page = usecases.event_history(ctx, principal, None if errors else where, PAGE_ROWS)
    values = {
        "since": since,
        "until": until,
        "camera": camera,
        "site": site,
        "subject": subject,
        "outcome": outcome,
    }
    return render(
        request,
        "events.html",
        principal,
        400 if errors else 200,
        rows=page.rows,
        total=page.total,
        values=values,
        errors=errors,
        cameras=page.camera_names,
        sites=page.sites,
        outcomes=list(AlertStatus),
        query=urlencode({k: v for k, v in values.items() if v}),
    )


@router.get("/events/{alert_id}", response_class=HTMLResponse)
def event_page(
    alert_id: str, request: Request, principal: Principal = allowed(P.ALERTS_HISTORY)
) -> Response:
    """One alert with its decisions. A pending alert's decisions stay hidden from a reviewer
    who has not decided it, as on the review screen, so each review stays independent."""
    ctx = service(request)
    detail = usecases.alert_detail(ctx, principal, alert_id, "history")
    record, decisions = detail.alert, detail.decisions
    pending = record.status == AlertStatus.PENDING.value
    decided = any(d.reviewer == principal.username for d in decisions)
    hide = pending and principal.can(P.ALERTS_REVIEW) and not decided
    return render(
        request,
        "event.html",
        principal,
        alert=record,
        entry=detail.entry,
        camera_name=usecases.camera_names(ctx).get(record.camera_id or ""),
        decisions=[] if hide else list(decisions),
        decisions_hidden=len(decisions) if hide else None,
        show_faces=principal.can(P.ALERTS_REVIEW),
        photo_ids=list(detail.photo_ids),
        crop_positions=list(detail.crop_positions),
        may_review=pending and principal.can(P.ALERTS_REVIEW) and not decided,
    )
