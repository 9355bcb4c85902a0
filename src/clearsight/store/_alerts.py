"""Alerts: idempotent ingest, review decisions and the state they lead to, expiry, and the
outbox of confirmed alerts still to notify."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearsight.audit import SYSTEM_ACTOR, AuditAction, AuditEvent
from clearsight.errors import InputError, NotFoundError, PolicyError
from clearsight.review import (
    AlertStatus,
    CastDecision,
    Decision,
    ReviewPolicy,
    apply_decision,
    is_expired,
)
from clearsight.store import _audit_log
from clearsight.store._accounts import is_approved, one_person
from clearsight.store._blobs import BlobCipher
from clearsight.store._enums import EntryStatus
from clearsight.store._images import encode_png
from clearsight.store._tables import (
    AlertCrop,
    AlertRecord,
    Camera,
    ReviewDecisionRecord,
    User,
    WatchlistEntry,
)
from clearsight.store._types import new_id
from clearsight.types import Alert

MAX_COMMENT = 2000


@dataclass(frozen=True)
class IngestResult:
    alert: AlertRecord
    created: bool


def ingest_alert(
    session: Session,
    cipher: BlobCipher,
    alert: Alert,
    now: datetime,
    extra_crops: Sequence[npt.NDArray[np.uint8]] = (),
    camera_id: str | None = None,
    site: str = "",
) -> IngestResult:
    """Store ``alert`` as pending unless its idempotency key (``alert.alert_id``) is known.

    A redelivered alert returns the stored one and changes nothing. An alert for a subject
    that is not approved, or has expired, is refused: such entries must not match; so is
    one from a ``site`` the entry is not scoped to. Without ``site`` the camera's is used.
    """
    key = alert.alert_id.strip()
    if not key or len(key) > 128:
        raise InputError("alert: the idempotency key (alert_id) must be 1-128 characters")
    _audit_log.lock_chain(session)
    existing = session.scalar(select(AlertRecord).where(AlertRecord.idempotency_key == key))
    if existing is not None:
        return IngestResult(existing, False)
    camera = session.get(Camera, camera_id) if camera_id is not None else None
    if camera_id is not None and camera is None:
        raise NotFoundError(f"alert {key}: camera {camera_id} does not exist")
    site = site or (camera.site if camera is not None else "")
    entry = session.get(WatchlistEntry, alert.subject_id)
    if entry is None:
        raise NotFoundError(f"alert {key}: watchlist entry {alert.subject_id} does not exist")
    if entry.status != EntryStatus.APPROVED.value or entry.expires_at <= now:
        raise PolicyError(
            f"alert {key}: watchlist entry {alert.subject_id} is {entry.status} and not matchable"
        )
    if entry.site and entry.site != site:
        raise PolicyError(
            f"alert {key}: watchlist entry {alert.subject_id} is listed for site {entry.site}, "
            f"not {site or 'an unknown site'}"
        )
    record = AlertRecord(
        id=new_id(),
        idempotency_key=key,
        camera_id=camera_id,
        source=alert.source,
        site=site,
        track_id=alert.track_id,
        subject_id=entry.id,
        subject_name=entry.name,
        score=float(alert.score),
        estimated_fmr=float(alert.estimate.fmr),
        estimated_fmr_low=float(alert.estimate.low),
        estimated_fmr_high=float(alert.estimate.high),
        estimated_fmr_group=alert.estimate.group,
        pooled_fmr=float(alert.estimate.pooled_fmr),
        threshold=float(alert.operating_point.threshold),
        threshold_rule=alert.operating_point.rule,
        target_fmr=float(alert.operating_point.target_fmr),
        model_id=alert.operating_point.model_id,
        card_version=alert.operating_point.card_version,
        samples_used=alert.samples_used,
        agreeing_samples=alert.agreeing_samples,
        capture_time=alert.capture_time,
        received_at=now,
        status=AlertStatus.PENDING.value,
    )
    for position, crop in enumerate([alert.best_crop, *extra_crops]):
        crop_id = new_id()
        sealed = cipher.seal(encode_png(crop), f"alert_crops:{crop_id}:image")
        record.crops.append(AlertCrop(id=crop_id, position=position, image=sealed))
    session.add(record)
    session.flush()
    _audit_log.append(
        session,
        AuditEvent(
            SYSTEM_ACTOR,
            AuditAction.ALERT_CREATED,
            "alert",
            record.id,
            reason=f"match of watchlist entry {entry.id} on {alert.source}",
            details={
                "idempotency_key": key,
                "score": f"{alert.score:.4f}",
                "estimated_fmr": f"{alert.estimated_fmr:.3g}",
                "threshold": f"{alert.operating_point.threshold:.4f}",
                "rule": alert.operating_point.rule,
                "model": f"{alert.operating_point.model_id} "
                f"card v{alert.operating_point.card_version}",
                **({"site": site} if site else {}),
            },
        ),
        at=now,
    )
    return IngestResult(record, True)


def get_alert(session: Session, alert_id: str) -> AlertRecord:
    record = session.get(AlertRecord, alert_id)
    if record is None:
        raise NotFoundError(f"alert {alert_id} does not exist")
    return record


def list_alerts(
    session: Session,
    status: AlertStatus | None,
    limit: int = 200,
    sites: frozenset[str] = frozenset(),
) -> list[AlertRecord]:
    """Newest first; only the alerts of ``sites`` when given (empty: every site)."""
    query = select(AlertRecord).order_by(AlertRecord.received_at.desc()).limit(limit)
    if sites:
        query = query.where(AlertRecord.site.in_(sorted(sites)))
    if status is not None:
        query = query.where(AlertRecord.status == status.value)
    return list(session.scalars(query))


def decisions_of(session: Session, alert_id: str) -> list[ReviewDecisionRecord]:
    return list(
        session.scalars(
            select(ReviewDecisionRecord)
            .where(ReviewDecisionRecord.alert_id == alert_id)
            .order_by(ReviewDecisionRecord.decided_at)
        )
    )


@dataclass(frozen=True)
class DecisionOutcome:
    decision_id: str
    status: AlertStatus
    settled_now: bool


def decide(
    session: Session,
    alert_id: str,
    reviewer: User,
    decision: Decision,
    comment: str,
    policy: ReviewPolicy,
    now: datetime,
) -> DecisionOutcome:
    """Record ``reviewer``'s decision and the alert's new status, with their audit entries, in
    the caller's single transaction: all of it is durable once the caller commits, or none."""
    comment = comment.strip()
    if not comment:
        raise InputError("decision: a comment is required")
    if len(comment) > MAX_COMMENT:
        raise InputError(f"decision: the comment is over {MAX_COMMENT} characters")
    _audit_log.lock_chain(session)
    record = get_alert(session, alert_id)
    status = AlertStatus(record.status)
    if is_expired(status, record.received_at, now, policy):
        # Refused without writing (this transaction rolls back); expire_stale records it.
        raise PolicyError(f"alert {alert_id} waited longer than the review window and expired")
    earlier_rows = decisions_of(session, alert_id)
    if decision is Decision.CONFIRM:
        _check_distinct_confirmers(session, earlier_rows, reviewer, policy, now)
    earlier = [CastDecision(d.reviewer_id, Decision(d.decision)) for d in earlier_rows]
    new_status = apply_decision(status, earlier, CastDecision(reviewer.id, decision), policy)
    row = ReviewDecisionRecord(
        id=new_id(),
        alert_id=alert_id,
        reviewer_id=reviewer.id,
        decision=decision.value,
        comment=comment,
        decided_at=now,
    )
    session.add(row)
    _audit_log.append(
        session,
        AuditEvent(
            reviewer.username,
            AuditAction.ALERT_DECIDED,
            "alert",
            alert_id,
            reason=comment,
            details={"decision": decision.value},
        ),
        at=now,
    )
    settled = new_status is not AlertStatus.PENDING
    if settled:
        record.status = new_status.value
        record.settled_at = now
        action = (
            AuditAction.ALERT_CONFIRMED
            if new_status is AlertStatus.CONFIRMED
            else AuditAction.ALERT_REJECTED
        )
        _audit_log.append(
            session,
            AuditEvent(
                SYSTEM_ACTOR,
                action,
                "alert",
                alert_id,
                reason=f"after {len(earlier) + 1} decisions",
            ),
            at=now,
        )
    session.flush()
    return DecisionOutcome(row.id, new_status, settled)


def _check_distinct_confirmers(
    session: Session,
    earlier: Sequence[ReviewDecisionRecord],
    reviewer: User,
    policy: ReviewPolicy,
    now: datetime,
) -> None:
    """A confirmation counts only from an approved account that is not, in effect, the same
    person as an earlier confirmer (see ``accounts.one_person``)."""
    if not is_approved(reviewer):
        raise PolicyError(
            f"{reviewer.username}'s account waits for a second admin's approval; it cannot "
            "decide alerts yet"
        )
    for row in earlier:
        if row.decision != Decision.CONFIRM.value or row.reviewer_id == reviewer.id:
            continue
        other = session.get(User, row.reviewer_id)
        why = one_person(other, reviewer, now, policy.review_window) if other else None
        if why is not None:
            raise PolicyError(
                f"{reviewer.username}'s confirmation would not come from a second person "
                f"({why}); another reviewer must confirm"
            )


def _expire(session: Session, record: AlertRecord, now: datetime) -> None:
    record.status = AlertStatus.EXPIRED.value
    record.settled_at = now
    _audit_log.append(
        session,
        AuditEvent(
            SYSTEM_ACTOR,
            AuditAction.ALERT_EXPIRED,
            "alert",
            record.id,
            reason="review window passed",
        ),
        at=now,
    )


def expire_stale(session: Session, policy: ReviewPolicy, now: datetime) -> list[str]:
    _audit_log.lock_chain(session)
    pending = session.scalars(
        select(AlertRecord).where(
            AlertRecord.status == AlertStatus.PENDING.value,
            AlertRecord.received_at < now - policy.review_window,
        )
    ).all()
    for record in pending:
        _expire(session, record, now)
    return [record.id for record in pending]


def confirmed_unnotified(session: Session) -> list[AlertRecord]:
    """The outbox: confirmed alerts whose notification has not been delivered yet."""
    return list(
        session.scalars(
            select(AlertRecord)
            .where(
                AlertRecord.status == AlertStatus.CONFIRMED.value, AlertRecord.notified_at.is_(None)
            )
            .order_by(AlertRecord.settled_at)
        )
    )


def mark_notified(session: Session, alert_id: str, channels: Sequence[str], now: datetime) -> None:
    _audit_log.lock_chain(session)
    record = get_alert(session, alert_id)
    if record.status != AlertStatus.CONFIRMED.value:
        raise PolicyError(
            f"alert {alert_id} is {record.status}; only confirmed alerts are notified"
        )
    record.notified_at = now
    _audit_log.append(
        session,
        AuditEvent(
            SYSTEM_ACTOR,
            AuditAction.ALERT_NOTIFIED,
            "alert",
            alert_id,
            details={"channels": ",".join(channels)},
        ),
        at=now,
    )


def open_crop(cipher: BlobCipher, crop: AlertCrop) -> bytes:
    return cipher.open(crop.image, f"alert_crops:{crop.id}:image")
