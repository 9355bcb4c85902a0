"""Appending to and reading the audit chain inside the caller's transaction.

``append`` locks the chain head row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already made this transaction the only writer), so entries are numbered
and linked one at a time even with many writers, and an entry commits together with the
change it records or not at all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from clearsight.audit import AuditAction, AuditEvent, ChainEntry, ChainReport, link, verify_chain
from clearsight.errors import StoreError
from clearsight.store._tables import (
    AlertRecord,
    AuditHead,
    AuditRecord,
    ReviewDecisionRecord,
    User,
    WatchlistEntry,
)
from clearsight.store._types import utcnow

HEAD_ID = 1


def lock_chain(session: Session) -> AuditHead:
    """Take the chain's write lock for the rest of this transaction; returns the head."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        raise StoreError("the audit chain head is missing; the database was not migrated")
    return head


def append(session: Session, event: AuditEvent, at: datetime | None = None) -> ChainEntry:
    """Add ``event`` to the chain in this transaction."""
    head = lock_chain(session)
    entry = link(event, head.last_seq + 1, at or utcnow(), head.last_hash)
    session.add(
        AuditRecord(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            record_type=entry.record_type,
            record_id=entry.record_id,
            reason=entry.reason,
            details=json.dumps(entry.details, sort_keys=True),
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )
    )
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    session.flush()
    return entry


def to_entry(row: AuditRecord) -> ChainEntry:
    try:
        details = json.loads(row.details)
    except json.JSONDecodeError:
        details = {"<unreadable>": row.details}
    if not isinstance(details, dict):
        details = {"<unreadable>": row.details}
    return ChainEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        record_type=row.record_type,
        record_id=row.record_id,
        reason=row.reason,
        details={str(k): str(v) for k, v in details.items()},
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def iter_entries(session: Session, batch: int = 1000) -> Iterator[ChainEntry]:
    """Every entry in sequence order, read in batches."""
    last = 0
    while True:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.seq > last).order_by(AuditRecord.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield to_entry(row)
        last = rows[-1].seq


def verify(session: Session) -> ChainReport:
    head = session.get(AuditHead, HEAD_ID)
    return verify_chain(
        iter_entries(session), None if head is None else (head.last_seq, head.last_hash)
    )


@dataclass(frozen=True)
class AuditFilter:
    """What an auditor narrows the log to; empty fields do not filter."""

    actor: str = ""
    action: str = ""
    record_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query: Select[AuditRecord], where: AuditFilter) -> Select[AuditRecord]:
    if where.actor:
        query = query.where(AuditRecord.actor == where.actor)
    if where.action:
        query = query.where(AuditRecord.action == where.action)
    if where.record_id:
        query = query.where(AuditRecord.record_id == where.record_id)
    if where.since is not None:
        query = query.where(AuditRecord.at >= where.since)
    if where.until is not None:
        query = query.where(AuditRecord.at <= where.until)
    return query


def search(session: Session, where: AuditFilter, limit: int | None = 500) -> list[ChainEntry]:
    """Matching entries, newest first."""
    query = _filtered(select(AuditRecord), where).order_by(AuditRecord.seq.desc())
    if limit is not None:
        query = query.limit(limit)
    return [to_entry(row) for row in session.scalars(query)]


def head(session: Session) -> tuple[int, str]:
    """The chain's last sequence number and hash: what to keep outside the database."""
    row = session.get(AuditHead, HEAD_ID)
    if row is None:
        raise StoreError("the audit chain head is missing; the database was not migrated")
    return row.last_seq, row.last_hash


def check_anchor(session: Session, seq: int, digest: str) -> str | None:
    """Why the chain disagrees with an anchor (``seq``, ``digest``) kept outside the
    database, or None. A chain rewritten from the start passes ``verify`` but not this."""
    row = session.get(AuditRecord, seq)
    if row is None:
        return f"anchored entry {seq} is missing from the audit log"
    if row.hash != digest:
        return f"entry {seq} no longer has the anchored hash (the chain was rewritten)"
    return None


def _audited_ids(session: Session, action: AuditAction, record_type: str) -> set[str]:
    return set(
        session.scalars(
            select(AuditRecord.record_id).where(
                AuditRecord.action == action.value, AuditRecord.record_type == record_type
            )
        )
    )


def verify_records(session: Session) -> list[str]:
    """Problems between the chain and the records it describes: every alert, watchlist entry
    and review decision has its audit entry, and every such audit entry its record unless an
    audited erasure deleted it. The chain alone cannot see a deleted row."""
    problems: list[str] = []
    for record_type, action, table in (
        ("alert", AuditAction.ALERT_CREATED, AlertRecord),
        ("watchlist_entry", AuditAction.WATCHLIST_CREATED, WatchlistEntry),
    ):
        audited = _audited_ids(session, action, record_type)
        erased = _audited_ids(session, AuditAction.SUBJECT_ERASED, record_type)
        stored = set(session.scalars(select(table.id)))
        problems += [
            f"{record_type} {i} has no {action.value} audit entry" for i in sorted(stored - audited)
        ]
        problems += [
            f"{record_type} {i} is in the audit log ({action.value}) but missing from the "
            "database, with no audited erasure"
            for i in sorted(audited - stored - erased)
        ]
    erased_alerts = _audited_ids(session, AuditAction.SUBJECT_ERASED, "alert")
    decided = Counter(
        (row.record_id, row.actor)
        for row in session.execute(
            select(AuditRecord.record_id, AuditRecord.actor).where(
                AuditRecord.action == AuditAction.ALERT_DECIDED.value
            )
        )
    )
    stored_decisions = Counter(
        (row.alert_id, row.username)
        for row in session.execute(
            select(ReviewDecisionRecord.alert_id, User.username).join(
                User, User.id == ReviewDecisionRecord.reviewer_id
            )
        )
    )
    problems += [
        f"the decision of {who} on alert {alert_id} has no {AuditAction.ALERT_DECIDED.value} "
        "audit entry"
        for alert_id, who in sorted(stored_decisions - decided)
    ]
    problems += [
        f"the audit log records a decision of {who} on alert {alert_id} that is missing from "
        "the database"
        for alert_id, who in sorted(decided - stored_decisions)
        if alert_id not in erased_alerts
    ]
    return problems


def count(session: Session, where: AuditFilter) -> int:
    """How many entries match (the page shows the newest; the export holds them all)."""
    matching = _filtered(select(AuditRecord), where).subquery()
    return int(session.scalar(select(func.count()).select_from(matching)) or 0)
