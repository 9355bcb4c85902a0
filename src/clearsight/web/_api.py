"""The JSON API under /api (OpenAPI at /api/openapi.json, for signed-in users)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile

from clearsight.review import AlertStatus
from clearsight.service import Permission, Principal
from clearsight.service import usecases as services
from clearsight.store import (
    AuditFilter,
    CameraFields,
    EntryDraft,
    ReasonCategory,
    User,
    sites,
)
from clearsight.types import Alert, FmrEstimate, OperatingPoint
from clearsight.web._auth import allowed, service
from clearsight.web._openapi import PUBLIC, openapi_document
from clearsight.web._schemas import (
    AlertIn,
    AlertOut,
    AlertReceipt,
    ApproveIn,
    AuditEntryOut,
    CameraIn,
    CameraOut,
    CameraPatch,
    DecisionIn,
    DecisionOut,
    EntryOut,
    Instant,
    UserIn,
    UserOut,
    UserSitesIn,
    VerifyOut,
)

router = APIRouter(prefix="/api")
P = Permission


@router.get("/health", tags=["service"], openapi_extra={PUBLIC: True})
def health() -> dict[str, str]:
    """Liveness for monitors; reveals nothing."""
    return {"status": "ok"}


@router.get("/openapi.json", tags=["service"], include_in_schema=False)
def openapi(request: Request, _: Principal = allowed(P.ACCOUNT)) -> dict[str, Any]:
    return openapi_document(request.app)


@router.get("/users", tags=["users"])
def list_users(request: Request, _: Principal = allowed(P.USERS_MANAGE)) -> list[UserOut]:
    return [_user_out(u) for u in services.users(service(request))]


def _user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=user.role,
        active=user.active,
        sites=sorted(sites.sites_of(user)),
        created_by=user.created_by,
        set_up_by=user.powers_set_by,
        approved_by=user.approved_by,
    )


@router.post("/users", tags=["users"], status_code=201)
def create_user(
    body: UserIn, request: Request, principal: Principal = allowed(P.USERS_MANAGE)
) -> UserOut:
    user = services.create_user(
        service(request), principal, body.username, body.password, body.role
    )
    return _user_out(user)


@router.post("/users/{user_id}/approve", tags=["users"])
def approve_user(
    user_id: str, body: ApproveIn, request: Request, principal: Principal = allowed(P.USERS_MANAGE)
) -> UserOut:
    """Approve an account's role and sites: a second admin's act (the one who set the account
    up cannot, except in a single-admin trial); until then the account holds no power."""
    return _user_out(services.approve_user(service(request), principal, user_id, body.reason))


@router.put("/users/{user_id}/sites", tags=["users"])
def set_user_sites(
    user_id: str,
    body: UserSitesIn,
    request: Request,
    principal: Principal = allowed(P.USERS_MANAGE),
) -> UserOut:
    """Limit a user to the alerts of these sites ([] = every site); audited."""
    chosen = sites.parse_sites(body.sites)
    return _user_out(services.set_user_sites(service(request), principal, user_id, chosen))


@router.get("/cameras", tags=["cameras"])
def list_cameras(request: Request, _: Principal = allowed(P.CAMERAS_MANAGE)) -> list[CameraOut]:
    return [CameraOut.of(c) for c in services.camera_list(service(request))]


@router.post("/cameras", tags=["cameras"], status_code=201)
def create_camera(
    body: CameraIn, request: Request, principal: Principal = allowed(P.CAMERAS_MANAGE)
) -> CameraOut:
    fields = CameraFields(**body.model_dump())
    return CameraOut.of(services.create_camera(service(request), principal, fields))


@router.patch("/cameras/{camera_id}", tags=["cameras"])
def update_camera(
    camera_id: str,
    body: CameraPatch,
    request: Request,
    principal: Principal = allowed(P.CAMERAS_MANAGE),
) -> CameraOut:
    fields = CameraFields(**body.model_dump())
    return CameraOut.of(services.update_camera(service(request), principal, camera_id, fields))


@router.get("/watchlist", tags=["watchlist"])
def list_entries(request: Request, _: Principal = allowed(P.WATCHLIST_READ)) -> list[EntryOut]:
    return [EntryOut.of(e) for e in services.watchlist_entries(service(request))]


@router.post("/watchlist", tags=["watchlist"], status_code=201)
def create_entry(
    request: Request,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    reason_category: Annotated[ReasonCategory, Form()],
    incident_ref: Annotated[str, Form(min_length=1, max_length=200)],
    notes: Annotated[str, Form(min_length=1, max_length=5000)],
    attested_not_minor: Annotated[bool, Form()],
    photos: Annotated[list[UploadFile], File(description="Reference photos, one face each.")],
    expires_at: Annotated[Instant | None, Form()] = None,
    site: Annotated[
        str, Form(max_length=100, description="The one site it is matched at; empty: every site.")
    ] = "",
    principal: Principal = allowed(P.WATCHLIST_ENROL),
) -> EntryOut:
    ctx = service(request)
    draft = EntryDraft(
        name, reason_category, incident_ref, notes, attested_not_minor, expires_at, site
    )
    entry_id = services.enrol(
        ctx, principal, draft, read_uploads(ctx.settings.max_upload_bytes, photos)
    )
    return EntryOut.of(services.entry(ctx, entry_id))


def read_uploads(limit: int, files: list[UploadFile]) -> list[services.Upload]:
    uploads = []
    for upload in files:
        data = upload.file.read(limit + 1)
        name = upload.filename or "upload"
        if len(data) > limit:
            raise HTTPException(413, f"{name}: over the {limit}-byte upload limit")
        uploads.append(services.Upload(name, data))
    return uploads


@router.get("/watchlist/{entry_id}", tags=["watchlist"])
def get_entry(
    entry_id: str, request: Request, _: Principal = allowed(P.WATCHLIST_READ)
) -> EntryOut:
    return EntryOut.of(services.entry(service(request), entry_id))


@router.post("/watchlist/{entry_id}/approve", tags=["watchlist"])
def approve_entry(
    entry_id: str,
    body: ApproveIn,
    request: Request,
    principal: Principal = allowed(P.WATCHLIST_APPROVE),
) -> EntryOut:
    ctx = service(request)
    services.approve(ctx, principal, entry_id, body.reason)
    return EntryOut.of(services.entry(ctx, entry_id))


def _crop(index: int, text: str) -> Any:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise HTTPException(400, f"crops_png_base64[{index}]: not valid base64") from error
    return data


@router.post("/alerts", tags=["alerts"])
def ingest_alert(
    body: AlertIn, request: Request, _: Principal = allowed(P.ALERTS_INGEST)
) -> AlertReceipt:
    """Store a pending alert; the same idempotency key again returns the same receipt
    (``created`` false) and nothing of how the alert was reviewed."""
    ctx = service(request)
    crops = [
        services.decode_upload(ctx, services.Upload(f"crops_png_base64[{i}]", _crop(i, t)))
        for i, t in enumerate(body.crops_png_base64)
    ]
    point = body.operating_point
    alert = Alert(
        body.idempotency_key,
        body.subject_id,
        "",
        body.track_id,
        body.score,
        FmrEstimate(
            body.estimated_fmr,
            body.estimated_fmr_low,
            body.estimated_fmr_high,
            body.estimated_fmr_group,
            body.pooled_fmr,
        ),
        body.capture_time,
        body.source,
        crops[0],
        body.samples_used,
        body.agreeing_samples,
        OperatingPoint(
            point.model_id, point.card_version, point.target_fmr, point.rule, point.threshold, ()
        ),
    )
    result = services.ingest(ctx, alert, crops[1:], body.camera_id)
    return AlertReceipt(
        id=result.alert.id, idempotency_key=result.alert.idempotency_key, created=result.created
    )


@router.get("/alerts", tags=["alerts"])
def list_alerts(
    request: Request,
    status: AlertStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    principal: Principal = allowed(P.ALERTS_REVIEW),
) -> list[AlertOut]:
    """Newest first; a reviewer limited to sites gets only those sites' alerts."""
    return [AlertOut.of(a) for a in services.alert_list(service(request), principal, status, limit)]


@router.get("/alerts/{alert_id}", tags=["alerts"])
def get_alert(
    alert_id: str, request: Request, principal: Principal = allowed(P.ALERTS_REVIEW)
) -> AlertOut:
    """404 for an alert of a site the caller is not assigned to."""
    return AlertOut.of(services.alert(service(request), principal, alert_id))


@router.post("/alerts/{alert_id}/decisions", tags=["alerts"], status_code=201)
def decide(
    alert_id: str,
    body: DecisionIn,
    request: Request,
    principal: Principal = allowed(P.ALERTS_REVIEW),
) -> DecisionOut:
    """Returns only after the decision and its audit entries are committed."""
    outcome = services.decide(service(request), principal, alert_id, body.decision, body.comment)
    return DecisionOut(decision_id=outcome.decision_id, alert_status=outcome.status.value)


@router.get("/audit", tags=["audit"])
def search_audit(
    request: Request,
    actor: str = "",
    action: str = "",
    record_id: str = "",
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    _: Principal = allowed(P.AUDIT_READ),
) -> list[AuditEntryOut]:
    where = AuditFilter(actor, action, record_id, since, until)
    return [
        AuditEntryOut(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            record_type=e.record_type,
            record_id=e.record_id,
            reason=e.reason,
            details=e.details,
            hash=e.hash,
        )
        for e in services.audit_entries(service(request), where, limit)
    ]


@router.get("/audit/verify", tags=["audit"])
def verify_audit(request: Request, _: Principal = allowed(P.AUDIT_READ)) -> VerifyOut:
    check = services.check_audit(service(request).db)
    report, problems, (seq, digest) = check.chain, check.record_problems, check.head
    return VerifyOut(
        ok=report.ok and not problems,
        entries=report.entries,
        first_broken_seq=report.first_broken_seq,
        message=report.describe()
        + (f"; {len(problems)} records disagree with the audit log" if problems else ""),
        record_problems=problems[:100],
        head_seq=seq,
        head_hash=digest,
    )
