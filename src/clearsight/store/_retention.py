"""Carrying out the retention policy (``clearsight.policy``) on the stored records.

The store describes each alert and watchlist entry as a ``RetentionRecord`` (no biometrics),
``plan_deletions`` says what is due, and ``carry_out`` deletes it, each deletion audited, in
the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearsight.audit import SYSTEM_ACTOR, AuditAction, AuditEvent
from clearsight.policy import (
    AlertStatus as RetentionStatus,
)
from clearsight.policy import (
    DeletionPlan,
    RecordKind,
    RetentionAction,
    RetentionPolicy,
    RetentionRecord,
    plan_deletions,
)
from clearsight.review import AlertStatus, Decision
from clearsight.store import _audit_log
from clearsight.store._enums import EntryStatus
from clearsight.store._tables import AlertRecord, ReviewDecisionRecord, WatchlistEntry
from clearsight.store._watchlist import purge_entry


def _alert_record(alert: AlertRecord, unsure_at: datetime | None) -> RetentionRecord:
    status = AlertStatus(alert.status)
    if status is AlertStatus.PENDING and unsure_at is not None:
        kind, decided = RetentionStatus.UNSURE, unsure_at
    elif status is AlertStatus.PENDING:
        kind, decided = RetentionStatus.PENDING, None
    else:
        kind, decided = RetentionStatus(status.value), alert.settled_at or alert.received_at
    return RetentionRecord(
        kind=RecordKind.ALERT,
        record_id=alert.id,
        created_at=alert.received_at,
        status=kind,
        decided_at=decided,
        has_evidence=bool(alert.crops),
    )


def retention_records(session: Session) -> list[RetentionRecord]:
    """Every alert, and every watchlist entry not yet purged, as the policy sees them."""
    unsure: dict[str, datetime] = {}
    for alert_id, decided_at in session.execute(
        select(ReviewDecisionRecord.alert_id, ReviewDecisionRecord.decided_at).where(
            ReviewDecisionRecord.decision == Decision.UNSURE.value
        )
    ):
        unsure[alert_id] = max(decided_at, unsure.get(alert_id, decided_at))
    records = [_alert_record(a, unsure.get(a.id)) for a in session.scalars(select(AlertRecord))]
    for entry in session.scalars(
        select(WatchlistEntry).where(WatchlistEntry.status != EntryStatus.EXPIRED.value)
    ):
        records.append(
            RetentionRecord(
                kind=RecordKind.WATCHLIST_ENTRY,
                record_id=entry.id,
                created_at=entry.created_at,
                expires_at=entry.expires_at,
            )
        )
    return records


def _delete_evidence(session: Session, alert: AlertRecord, now: datetime, reason: str) -> None:
    crops = len(alert.crops)
    alert.crops.clear()
    _audit_log.append(
        session,
        AuditEvent(
            SYSTEM_ACTOR,
            AuditAction.ALERT_EVIDENCE_DELETED,
            "alert",
            alert.id,
            reason=reason,
            details={"crops_deleted": str(crops)},
        ),
        at=now,
    )


def carry_out(session: Session, plan: DeletionPlan) -> Sequence[str]:
    """Do what ``plan`` says, auditing each deletion; returns the ids acted on."""
    _audit_log.lock_chain(session)
    done = []
    for item in plan.deletions:
        record_id, now = item.record.record_id, plan.now
        if item.action is RetentionAction.REMOVE_WATCHLIST_ENTRY:
            entry = session.get(WatchlistEntry, record_id)
            if entry is None or entry.status == EntryStatus.EXPIRED.value:
                continue
            purge_entry(session, entry, now, item.reason)
        else:
            alert = session.get(AlertRecord, record_id)
            if alert is None:
                continue
            if item.action is RetentionAction.EXPIRE_ALERT:
                if alert.status != AlertStatus.PENDING.value:
                    continue  # decided since the plan was made
                alert.status = AlertStatus.EXPIRED.value
                alert.settled_at = now
                _audit_log.append(
                    session,
                    AuditEvent(
                        SYSTEM_ACTOR,
                        AuditAction.ALERT_EXPIRED,
                        "alert",
                        alert.id,
                        reason=item.reason,
                    ),
                    at=now,
                )
            _delete_evidence(session, alert, now, item.reason)
        done.append(record_id)
    return done


def apply_retention(session: Session, policy: RetentionPolicy, now: datetime) -> Sequence[str]:
    """Plan and carry out everything the policy says is due at ``now``."""
    _audit_log.lock_chain(session)
    return carry_out(session, plan_deletions(retention_records(session), policy, now))
