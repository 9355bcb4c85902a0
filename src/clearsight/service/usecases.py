"""Use cases shared by the web pages and the JSON API, each in one transaction."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearsight.audit import AuditAction, AuditEvent, ChainEntry, ChainReport
from clearsight.errors import NotFoundError, UploadTooLargeError
from clearsight.ingest import UPLOAD_FORMATS, decode_image
from clearsight.notify import deliver_outbox
from clearsight.review import AlertStatus, Decision
from clearsight.service._context import ServiceContext
from clearsight.service._permissions import Principal
from clearsight.store import (
    AlertCrop,
    AlertRecord,
    AuditFilter,
    Camera,
    CameraFields,
    Database,
    DecisionOutcome,
    EnrolledPhoto,
    EntryDraft,
    IngestResult,
    ReferencePhoto,
    ReviewDecisionRecord,
    Role,
    User,
    WatchlistEntry,
    accounts,
    alerts,
    audit_log,
    cameras,
    encode_png,
    history,
    retention,
    sites,
    watchlist,
)
from clearsight.types import Alert

log = logging.getLogger(__name__)
_outbox_lock = threading.Lock()


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def decode_upload(ctx: ServiceContext, upload: Upload) -> npt.NDArray[np.uint8]:
    """Pixels of an uploaded image; UploadTooLargeError over the limit, ImageError with the
    reason (not an image, a bomb...)."""
    limit = ctx.settings.max_upload_bytes
    if len(upload.data) > limit:
        raise UploadTooLargeError(
            f"{upload.filename}: {len(upload.data)} bytes, over the {limit}-byte upload limit"
        )
    # ImageError -> 400 with its message; EPS, PDF and the like never reach a decoder.
    return decode_image(upload.data, upload.filename, UPLOAD_FORMATS)


def acting_user(ctx: ServiceContext, principal: Principal) -> User:
    with ctx.db.session() as session:
        return accounts.get_user(session, principal.user_id)


def reviewer_sites(ctx: ServiceContext, principal: Principal) -> frozenset[str]:
    """The sites whose alerts ``principal`` may see; empty means every site."""
    return sites.sites_of(acting_user(ctx, principal))


def visible_alert(session: Session, allowed: frozenset[str], alert_id: str) -> AlertRecord:
    """The alert, or NotFoundError when it does not exist or is another site's (the two
    are not told apart, so a reviewer learns nothing of other sites' alerts)."""
    record = alerts.get_alert(session, alert_id)
    if not sites.can_see(allowed, record):
        raise NotFoundError(f"alert {alert_id} does not exist")
    return record


def enrol(
    ctx: ServiceContext, principal: Principal, draft: EntryDraft, uploads: Sequence[Upload]
) -> str:
    """Check and enrol every photo first (slow, outside any transaction), then store."""
    photos = []
    for upload in uploads:
        face = ctx.hooks.enroll(decode_upload(ctx, upload), upload.filename)
        photos.append(EnrolledPhoto(encode_png(face.crop), face.embedding))
    enroller = acting_user(ctx, principal)
    with ctx.db.session() as session:
        entry = watchlist.create_entry(
            session, ctx.cipher, draft, photos, enroller, ctx.now(), ctx.expiry
        )
        return entry.id


def approve(ctx: ServiceContext, principal: Principal, entry_id: str, reason: str) -> None:
    approver = acting_user(ctx, principal)
    with ctx.db.session() as session:
        watchlist.approve_entry(
            session, entry_id, approver, ctx.now(), reason, ctx.policy.review_window
        )
    ctx.on_watchlist_change()


def ingest(
    ctx: ServiceContext,
    alert: Alert,
    extra_crops: Sequence[npt.NDArray[np.uint8]],
    camera_id: str | None,
) -> IngestResult:
    with ctx.db.session() as session:
        return alerts.ingest_alert(session, ctx.cipher, alert, ctx.now(), extra_crops, camera_id)


def decide(
    ctx: ServiceContext, principal: Principal, alert_id: str, decision: Decision, comment: str
) -> DecisionOutcome:
    """Commit the decision and its audit entries; once committed, notify if now confirmed."""
    reviewer = acting_user(ctx, principal)
    with ctx.db.session() as session:
        visible_alert(session, sites.sites_of(reviewer), alert_id)
        outcome = alerts.decide(
            session, alert_id, reviewer, decision, comment, ctx.policy, ctx.now()
        )
    if outcome.settled_now:
        kick_outbox(ctx)
    return outcome


def kick_outbox(ctx: ServiceContext) -> None:
    """Deliver confirmed alerts in the background (the decision is already committed)."""
    if not ctx.notifier.channels:
        return
    threading.Thread(target=run_outbox, args=(ctx,), name="clearsight-notify", daemon=True).start()


def run_outbox(ctx: ServiceContext) -> list[str]:
    with _outbox_lock:
        try:
            return deliver_outbox(ctx.db, ctx.notifier, ctx.now())
        except Exception:  # a background thread must log, not die silently
            log.exception("delivering confirmed alerts failed")
            return []


def maintain(ctx: ServiceContext) -> None:
    """Expire stale alerts, purge expired watchlist entries, apply the retention policy,
    purge expired sessions, retry the outbox."""
    now = ctx.now()
    with ctx.db.session() as session:
        alerts.expire_stale(session, ctx.policy, now)
    with ctx.db.session() as session:
        watchlist.purge_expired(session, now)
    ctx.on_watchlist_change()
    with ctx.db.session() as session:
        retention.apply_retention(session, ctx.config.retention, now)
    with ctx.db.session() as session:
        accounts.purge_expired_sessions(session, now)
    run_outbox(ctx)
    anchor_audit_head(ctx)


def anchor_audit_head(ctx: ServiceContext) -> tuple[int, str]:
    """Log the audit chain head and, when configured, append it to the anchor file (only
    when it moved), so a later rewrite of the whole chain shows against the copy."""
    with ctx.db.read_session() as session:
        seq, digest = audit_log.head(session)
    log.info("audit chain head: %d %s", seq, digest)
    path = ctx.settings.audit_anchor_file
    if path is not None and ctx.state.anchored_head != (seq, digest):
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{ctx.now().isoformat()} {seq} {digest}\n")
        ctx.state.anchored_head = (seq, digest)
    return seq, digest


def _audit_view(
    ctx: ServiceContext,
    principal: Principal,
    action: AuditAction,
    record_type: str,
    record_id: str,
    reason: str,
    details: dict[str, str] | None = None,
) -> None:
    with ctx.db.session() as session:
        audit_log.append(
            session,
            AuditEvent(
                principal.username,
                action,
                record_type,
                record_id,
                reason=reason,
                details=details or {},
            ),
        )


def reference_image(ctx: ServiceContext, principal: Principal, photo_id: str, reason: str) -> bytes:
    """A reference face, its viewing recorded in the audit log before it is returned."""
    allowed = reviewer_sites(ctx, principal)
    with ctx.db.session() as session:
        photo = session.get(ReferencePhoto, photo_id)
        # Another site's entry is not told apart from a missing photo (as for alerts).
        if photo is None or (allowed and photo.entry.site and photo.entry.site not in allowed):
            raise NotFoundError(f"reference photo {photo_id} does not exist")
        data = watchlist.open_photo_image(ctx.cipher, photo)
        audit_log.append(
            session,
            AuditEvent(
                principal.username,
                AuditAction.FACE_IMAGE_VIEWED,
                "reference_photo",
                photo_id,
                reason=reason,
                details={"entry": photo.entry_id},
            ),
            at=ctx.now(),
        )
    return data


def alert_crop(
    ctx: ServiceContext, principal: Principal, alert_id: str, position: int, reason: str
) -> bytes:
    allowed = reviewer_sites(ctx, principal)
    with ctx.db.session() as session:
        visible_alert(session, allowed, alert_id)
        crop = session.query(AlertCrop).filter_by(alert_id=alert_id, position=position).first()
        if crop is None:
            raise NotFoundError(f"alert {alert_id} has no crop {position}")
        data = alerts.open_crop(ctx.cipher, crop)
        audit_log.append(
            session,
            AuditEvent(
                principal.username,
                AuditAction.FACE_IMAGE_VIEWED,
                "alert_crop",
                crop.id,
                reason=reason,
                details={"alert": alert_id, "position": str(position)},
            ),
            at=ctx.now(),
        )
    return data


@dataclass(frozen=True)
class DecisionView:
    reviewer: str
    decision: str
    comment: str
    decided_at: datetime


@dataclass(frozen=True)
class AlertDetail:
    alert: AlertRecord
    entry: WatchlistEntry
    photo_ids: tuple[str, ...]
    crop_positions: tuple[int, ...]
    decisions: tuple[DecisionView, ...]


def alert_detail(
    ctx: ServiceContext, principal: Principal, alert_id: str, purpose: str = "review"
) -> AlertDetail:
    """Everything the review screen (or the history's page, ``purpose`` "history") shows;
    opening it is audited with that purpose."""
    allowed = reviewer_sites(ctx, principal)
    with ctx.db.session() as session:
        record = visible_alert(session, allowed, alert_id)
        entry = watchlist.get_entry(session, record.subject_id)
        decisions = []
        for row in alerts.decisions_of(session, alert_id):
            reviewer = session.get(User, row.reviewer_id)
            decisions.append(
                DecisionView(
                    reviewer.username if reviewer else row.reviewer_id,
                    row.decision,
                    row.comment,
                    row.decided_at,
                )
            )
        detail = AlertDetail(
            record,
            entry,
            tuple(p.id for p in entry.photos),
            tuple(c.position for c in record.crops),
            tuple(decisions),
        )
        audit_log.append(
            session,
            AuditEvent(
                principal.username, AuditAction.ALERT_VIEWED, "alert", alert_id, reason=purpose
            ),
            at=ctx.now(),
        )
    return detail


@dataclass(frozen=True)
class EventHistory:
    """One page of the event history, limited to the caller's sites."""

    rows: list[AlertRecord]
    total: int
    camera_names: dict[str, str]
    sites: list[str]


def event_history(
    ctx: ServiceContext, principal: Principal, where: history.HistoryFilter | None, limit: int
) -> EventHistory:
    """The alerts ``where`` selects (none for a filter the form refused, ``None``), newest
    first, with the cameras and sites to filter by."""
    allowed = reviewer_sites(ctx, principal)
    with ctx.db.read_session() as s:
        rows = [] if where is None else history.search(s, where, allowed, limit)
        total = 0 if where is None else history.count(s, where, allowed)
        known_sites = [x for x in history.known_sites(s) if not allowed or x in allowed]
        return EventHistory(rows, total, history.camera_names(s), known_sites)


def camera_names(ctx: ServiceContext) -> dict[str, str]:
    with ctx.db.read_session() as s:
        return history.camera_names(s)


def review_queue(
    ctx: ServiceContext, principal: Principal, limit: int
) -> list[tuple[AlertRecord, str | None]]:
    """Pending alerts of the caller's sites, newest first, each with the caller's own
    decision (None while they have not decided)."""
    allowed = reviewer_sites(ctx, principal)
    with ctx.db.read_session() as s:
        pending = history.search(
            s, history.HistoryFilter(outcome=AlertStatus.PENDING), allowed, limit
        )
        mine = history.decided_by(s, principal.user_id, [a.id for a in pending])
        return [(alert, mine.get(alert.id)) for alert in pending]


def single_admin_trial(ctx: ServiceContext) -> bool:
    """Whether fewer than two approved admins exist (every page says so)."""
    with ctx.db.read_session() as s:
        return accounts.single_admin_trial(s)


def watchlist_entries(ctx: ServiceContext, status: str = "") -> list[WatchlistEntry]:
    """Every watchlist entry, or those in ``status``."""
    with ctx.db.read_session() as s:
        return [e for e in watchlist.list_entries(s) if not status or e.status == status]


def view_entry(ctx: ServiceContext, principal: Principal, entry_id: str) -> WatchlistEntry:
    """A watchlist entry; viewing it is audited."""
    with ctx.db.session() as s:
        entry = watchlist.get_entry(s, entry_id)
        audit_log.append(
            s,
            AuditEvent(
                principal.username,
                AuditAction.WATCHLIST_VIEWED,
                "watchlist_entry",
                entry_id,
                reason="watchlist page",
            ),
        )
        return entry


def awaiting_review(
    ctx: ServiceContext, principal: Principal
) -> tuple[list[AlertRecord], dict[str, str]]:
    """Pending alerts of the reviewer's sites and the decisions the reviewer gave them."""
    allowed = reviewer_sites(ctx, principal)
    with ctx.db.read_session() as s:
        pending = alerts.list_alerts(s, AlertStatus.PENDING, sites=allowed)
        return pending, history.decided_by(s, principal.user_id, [a.id for a in pending])


@dataclass(frozen=True)
class AuditPage:
    entries: list[ChainEntry]
    total: int
    chain: ChainReport


def audit_page(ctx: ServiceContext, where: AuditFilter | None, limit: int) -> AuditPage:
    """The audit entries ``where`` selects (none for a refused filter, ``None``) and the
    chain's verification."""
    with ctx.db.read_session() as s:
        entries = [] if where is None else audit_log.search(s, where, limit)
        total = 0 if where is None else audit_log.count(s, where)
        return AuditPage(entries, total, audit_log.verify(s))


def export_audit(
    ctx: ServiceContext, principal: Principal, where: AuditFilter, filter_text: str
) -> list[ChainEntry]:
    """Every audit entry ``where`` selects; the export is itself recorded in the log."""
    with ctx.db.session() as s:
        entries = audit_log.search(s, where, None)
        audit_log.append(
            s,
            AuditEvent(
                principal.username,
                AuditAction.AUDIT_EXPORTED,
                "audit",
                "csv",
                details={"rows": str(len(entries)), "filter": filter_text or "none"},
            ),
        )
        return entries


# Users, cameras, watchlist and alerts as the JSON API reads and changes them -------------


def users(ctx: ServiceContext) -> list[User]:
    with ctx.db.read_session() as s:
        return list(s.scalars(select(User).order_by(User.username)))


def create_user(
    ctx: ServiceContext, principal: Principal, username: str, password: str, role: Role
) -> User:
    """A new account set up by ``principal``; it holds no power until a second admin
    approves it."""
    with ctx.db.session() as s:
        return accounts.create_user(s, username, password, role, principal.username)


def approve_user(ctx: ServiceContext, principal: Principal, user_id: str, reason: str) -> User:
    with ctx.db.session() as s:
        actor = accounts.get_user(s, principal.user_id)
        return accounts.approve_user(s, user_id, actor, ctx.now(), reason)


def set_user_sites(
    ctx: ServiceContext, principal: Principal, user_id: str, chosen: frozenset[str]
) -> User:
    """Limit a user to the alerts of these sites (empty: every site); audited."""
    with ctx.db.session() as s:
        actor = accounts.get_user(s, principal.user_id)
        return sites.set_user_sites(s, user_id, chosen, actor, ctx.now())


def camera_list(ctx: ServiceContext) -> list[Camera]:
    with ctx.db.read_session() as s:
        return list(cameras.list_cameras(s))


def create_camera(ctx: ServiceContext, principal: Principal, fields: CameraFields) -> Camera:
    with ctx.db.session() as s:
        return cameras.create_camera(s, fields, principal.username, ctx.now())


def update_camera(
    ctx: ServiceContext, principal: Principal, camera_id: str, fields: CameraFields
) -> Camera:
    with ctx.db.session() as s:
        return cameras.update_camera(s, camera_id, fields, principal.username, ctx.now())


def entry(ctx: ServiceContext, entry_id: str) -> WatchlistEntry:
    with ctx.db.read_session() as s:
        return watchlist.get_entry(s, entry_id)


def alert_list(
    ctx: ServiceContext, principal: Principal, status: AlertStatus | None, limit: int
) -> list[AlertRecord]:
    """Newest first; a reviewer limited to sites gets only those sites' alerts."""
    allowed = reviewer_sites(ctx, principal)
    with ctx.db.read_session() as s:
        return list(alerts.list_alerts(s, status, limit, allowed))


def alert(ctx: ServiceContext, principal: Principal, alert_id: str) -> AlertRecord:
    """NotFoundError for an alert of a site the caller is not assigned to."""
    allowed = reviewer_sites(ctx, principal)
    with ctx.db.read_session() as s:
        return visible_alert(s, allowed, alert_id)


def audit_entries(ctx: ServiceContext, where: AuditFilter, limit: int) -> list[ChainEntry]:
    with ctx.db.read_session() as s:
        return audit_log.search(s, where, limit)


@dataclass(frozen=True)
class AuditCheck:
    """The hash chain's verification, the records that disagree with it, and its head."""

    chain: ChainReport
    record_problems: list[str]
    head: tuple[int, str]


def check_audit(db: Database) -> AuditCheck:
    """Verify every link of the chain and, when it holds, that every alert, watchlist entry
    and decision has its audit entry and the reverse (``clearsight audit verify`` and the
    API's ``/audit/verify``)."""
    with db.read_session() as s:
        report = audit_log.verify(s)
        problems = audit_log.verify_records(s) if report.ok else []
        return AuditCheck(report, problems, audit_log.head(s))


@dataclass(frozen=True)
class ServiceFigures:
    """What the service's /metrics reports, counted in one read."""

    cameras_by_state: dict[str, int]
    analysed_fps: dict[str, float]
    """Per enabled camera, by name."""
    alerts_by_status: dict[str, int]
    decisions_by_kind: dict[str, int]
    undelivered: int
    """Confirmed alerts whose notification is not delivered yet."""
    notify_failures: int
    """Failed notification attempts since the service started."""


def service_figures(ctx: ServiceContext) -> ServiceFigures:
    with ctx.db.read_session() as s:
        states = s.execute(select(Camera.status, func.count()).group_by(Camera.status)).all()
        fps = s.execute(
            select(Camera.name, Camera.analysed_fps).where(Camera.enabled.is_(True))
        ).all()
        by_status = s.execute(
            select(AlertRecord.status, func.count()).group_by(AlertRecord.status)
        ).all()
        kinds = s.execute(
            select(ReviewDecisionRecord.decision, func.count()).group_by(
                ReviewDecisionRecord.decision
            )
        ).all()
        undelivered = s.scalar(
            select(func.count())
            .select_from(AlertRecord)
            .where(
                AlertRecord.status == AlertStatus.CONFIRMED.value,
                AlertRecord.notified_at.is_(None),
            )
        )
    return ServiceFigures(
        {str(state): int(count) for state, count in states},
        {str(name): float(value or 0.0) for name, value in fps},
        {str(status): int(count) for status, count in by_status},
        {str(kind): int(count) for kind, count in kinds},
        int(undelivered or 0),
        ctx.notifier.failures,
    )
