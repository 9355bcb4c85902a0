"""The outbox per sink: which confirmed alerts each alert sink still has to be sent, when
each is next due, and how each delivery ended.

An alert stays in the outbox (``alerts.notified_at`` empty) until every configured sink has
settled it, delivered or abandoned; each sink's attempts, backoff and errors are its own, so
one failing sink never makes another send again. A delivery is recorded after the sink took
it: a process killed in between sends it once more (at least once, never lost).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearsight.audit import SYSTEM_ACTOR, AuditAction, AuditEvent
from clearsight.errors import PolicyError
from clearsight.review import AlertStatus
from clearsight.store import _audit_log
from clearsight.store._alerts import confirmed_unnotified, get_alert
from clearsight.store._tables import AlertDelivery, AlertRecord

# A receiver's error text is kept for the operator, not whole pages of it.
MAX_ERROR = 1000


@dataclass(frozen=True)
class DueDelivery:
    """One alert due at one sink; ``failures`` is how many attempts there failed so far."""

    alert: AlertRecord
    sink: str
    failures: int


def _settled(row: AlertDelivery | None) -> bool:
    return row is not None and (row.delivered_at is not None or row.abandoned_at is not None)


def _rows_of(session: Session, alert_ids: Sequence[str]) -> dict[tuple[str, str], AlertDelivery]:
    if not alert_ids:
        return {}
    rows = session.scalars(select(AlertDelivery).where(AlertDelivery.alert_id.in_(alert_ids)))
    return {(row.alert_id, row.sink): row for row in rows}


def due(session: Session, sinks: Sequence[str], now: datetime) -> list[DueDelivery]:
    """Every (confirmed alert, sink) of the outbox whose next attempt is due at ``now``,
    oldest confirmation first, sinks in the order given.

    An alert every one of ``sinks`` has settled (as when a failing sink was removed from the
    configuration) leaves the outbox here."""
    if not sinks:
        return []
    outbox = confirmed_unnotified(session)
    rows = _rows_of(session, [alert.id for alert in outbox])
    found: list[DueDelivery] = []
    for alert in outbox:
        pending = [sink for sink in sinks if not _settled(rows.get((alert.id, sink)))]
        if not pending:
            alert.notified_at = now
        for sink in pending:
            row = rows.get((alert.id, sink))
            if row is None or row.next_attempt_at is None or row.next_attempt_at <= now:
                found.append(DueDelivery(alert, sink, row.attempts if row else 0))
    return found


def _attempt(session: Session, alert_id: str, sink: str) -> tuple[AlertRecord, AlertDelivery]:
    _audit_log.lock_chain(session)  # also keeps two deliverers from racing on one row
    alert = get_alert(session, alert_id)
    if alert.status != AlertStatus.CONFIRMED.value:
        raise PolicyError(f"alert {alert_id} is {alert.status}; only confirmed alerts are sent")
    row = session.get(AlertDelivery, (alert_id, sink))
    if row is None:
        row = AlertDelivery(alert_id=alert_id, sink=sink, attempts=0)
        session.add(row)
    row.attempts += 1
    return alert, row


def _leave_outbox_when_settled(
    session: Session, alert: AlertRecord, sinks: Sequence[str], now: datetime
) -> bool:
    session.flush()
    rows = _rows_of(session, [alert.id])
    if all(_settled(rows.get((alert.id, sink))) for sink in sinks):
        alert.notified_at = now
        return True
    return False


def record_delivered(
    session: Session, alert_id: str, sink: str, now: datetime, sinks: Sequence[str]
) -> bool:
    """``sink`` took the alert; True when that settles the last of ``sinks`` (the
    configured ones) and the alert leaves the outbox. Audited as ``alert.notified``."""
    alert, row = _attempt(session, alert_id, sink)
    row.delivered_at = now
    row.next_attempt_at = None
    _audit_log.append(
        session,
        AuditEvent(
            SYSTEM_ACTOR,
            AuditAction.ALERT_NOTIFIED,
            "alert",
            alert_id,
            details={"channels": sink, "attempts": str(row.attempts)},
        ),
        at=now,
    )
    return _leave_outbox_when_settled(session, alert, sinks, now)


def record_failed(
    session: Session,
    alert_id: str,
    sink: str,
    error: str,
    now: datetime,
    next_attempt_at: datetime | None,
    sinks: Sequence[str],
) -> bool:
    """``sink`` did not take the alert; it is due again at ``next_attempt_at``, or, when that
    is None, abandoned (audited as ``alert.notify_abandoned``). True when the alert leaves
    the outbox (its last unsettled sink gave up)."""
    alert, row = _attempt(session, alert_id, sink)
    row.last_error = error[:MAX_ERROR]
    row.next_attempt_at = next_attempt_at
    if next_attempt_at is not None:
        return False
    row.abandoned_at = now
    _audit_log.append(
        session,
        AuditEvent(
            SYSTEM_ACTOR,
            AuditAction.ALERT_NOTIFY_ABANDONED,
            "alert",
            alert_id,
            reason=f"gave up after {row.attempts} failed attempts: {row.last_error}",
            details={"channels": sink, "attempts": str(row.attempts)},
        ),
        at=now,
    )
    return _leave_outbox_when_settled(session, alert, sinks, now)


def deliveries_of(session: Session, alert_id: str) -> list[AlertDelivery]:
    """The alert's delivery to each sink tried so far, by sink name."""
    return list(
        session.scalars(
            select(AlertDelivery)
            .where(AlertDelivery.alert_id == alert_id)
            .order_by(AlertDelivery.sink)
        )
    )
