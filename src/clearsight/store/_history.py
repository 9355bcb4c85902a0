"""The event history: past and present alerts, filtered as a reviewer, admin or auditor asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from clearsight.review import AlertStatus
from clearsight.store._tables import AlertRecord, Camera, ReviewDecisionRecord


@dataclass(frozen=True)
class HistoryFilter:
    """Empty fields do not filter. ``subject`` matches the entry id or part of the name."""

    since: datetime | None = None
    until: datetime | None = None
    camera_id: str = ""
    site: str = ""
    subject: str = ""
    outcome: AlertStatus | None = None


def _filtered(
    query: Select[tuple[AlertRecord]], where: HistoryFilter, sites: frozenset[str]
) -> Select[tuple[AlertRecord]]:
    if sites:
        query = query.where(AlertRecord.site.in_(sorted(sites)))
    if where.since is not None:
        query = query.where(AlertRecord.received_at >= where.since)
    if where.until is not None:
        query = query.where(AlertRecord.received_at <= where.until)
    if where.camera_id:
        query = query.where(AlertRecord.camera_id == where.camera_id)
    if where.site:
        query = query.where(AlertRecord.site == where.site)
    if where.subject:
        escaped = where.subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(
                AlertRecord.subject_id == where.subject,
                func.lower(AlertRecord.subject_name).like(f"%{escaped.lower()}%", escape="\\"),
            )
        )
    if where.outcome is not None:
        query = query.where(AlertRecord.status == where.outcome.value)
    return query


def search(
    session: Session, where: HistoryFilter, sites: frozenset[str], limit: int = 200
) -> list[AlertRecord]:
    """Matching alerts, newest first; only ``sites``' alerts when given (empty: every site)."""
    query = _filtered(select(AlertRecord), where, sites)
    return list(session.scalars(query.order_by(AlertRecord.received_at.desc()).limit(limit)))


def count(session: Session, where: HistoryFilter, sites: frozenset[str]) -> int:
    query = _filtered(select(AlertRecord), where, sites)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def awaiting(session: Session, reviewer_id: str, sites: frozenset[str]) -> list[AlertRecord]:
    """Pending alerts ``reviewer_id`` has not decided yet, newest first."""
    decided = select(ReviewDecisionRecord.alert_id).where(
        ReviewDecisionRecord.reviewer_id == reviewer_id
    )
    query = _filtered(select(AlertRecord), HistoryFilter(outcome=AlertStatus.PENDING), sites)
    query = query.where(AlertRecord.id.not_in(decided))
    return list(session.scalars(query.order_by(AlertRecord.received_at.desc())))


def decided_by(session: Session, reviewer_id: str, alert_ids: list[str]) -> dict[str, str]:
    """alert id -> the decision ``reviewer_id`` made on it, for the alerts given."""
    if not alert_ids:
        return {}
    rows = session.execute(
        select(ReviewDecisionRecord.alert_id, ReviewDecisionRecord.decision).where(
            ReviewDecisionRecord.reviewer_id == reviewer_id,
            ReviewDecisionRecord.alert_id.in_(alert_ids),
        )
    ).all()
    return {str(alert_id): str(decision) for alert_id, decision in rows}


def camera_names(session: Session) -> dict[str, str]:
    return {c.id: c.name for c in session.scalars(select(Camera).order_by(Camera.name))}


def known_sites(session: Session) -> list[str]:
    rows = session.scalars(select(AlertRecord.site).distinct().where(AlertRecord.site != ""))
    return sorted(str(site) for site in rows)
