"""Appending to and reading the audit chain inside the caller's transaction.

``append`` locks the chain head row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already made this transaction the only writer), so entries are numbered
and linked one at a time even with many writers, and an entry commits together with the
change it records or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from clearsight.audit import AuditEvent, ChainEntry, ChainReport, link, verify_chain
from clearsight.errors import StoreError
from clearsight.store._tables import AuditHead, AuditRecord
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


def count(session: Session, where: AuditFilter) -> int:
    """How many entries match (the page shows the newest; the export holds them all)."""
    matching = _filtered(select(AuditRecord), where).subquery()
    return int(session.scalar(select(func.count()).select_from(matching)) or 0)
