"""The audit hash chain: intact after real use, and the first broken link found when an entry
is changed, removed or reordered, on SQLite and PostgreSQL; concurrent appends stay serial."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, update
from tests.service.conftest import NOW

from clearsight.audit import AuditAction, AuditEvent, verify_chain
from clearsight.store import AuditRecord, Database, audit_log


def fill(db: Database, count: int) -> None:
    for i in range(count):
        with db.session() as s:
            audit_log.append(
                s,
                AuditEvent(
                    f"user{i}",
                    AuditAction.FACE_IMAGE_VIEWED,
                    "alert",
                    f"a{i}",
                    reason="review",
                    details={"crop": str(i)},
                ),
                at=NOW + timedelta(seconds=i),
            )


def report(db: Database):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return audit_log.verify(s)


def test_intact_chain_verifies(db: Database) -> None:
    fill(db, 5)
    result = report(db)
    assert result.ok and result.entries == 5, result.describe()


def test_changed_entry_is_found(db: Database) -> None:
    fill(db, 6)
    with db.session() as s:
        s.execute(update(AuditRecord).where(AuditRecord.seq == 3).values(reason="nothing to see"))
    result = report(db)
    assert not result.ok and result.first_broken_seq == 3
    assert "changed" in result.problem


def test_removed_entry_is_found(db: Database) -> None:
    fill(db, 6)
    with db.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq == 4))
    result = report(db)
    assert not result.ok and result.first_broken_seq == 4


def test_removed_last_entry_is_found_by_the_head(db: Database) -> None:
    fill(db, 4)
    with db.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq == 4))
    result = report(db)
    assert not result.ok and "head" in result.problem


def test_reordered_entries_are_found(db: Database) -> None:
    fill(db, 6)
    with db.session() as s:  # swap entries 2 and 5 by their sequence numbers
        s.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(seq=-2))
        s.execute(update(AuditRecord).where(AuditRecord.seq == 5).values(seq=2))
        s.execute(update(AuditRecord).where(AuditRecord.seq == -2).values(seq=5))
    result = report(db)
    assert not result.ok and result.first_broken_seq == 2


def test_reordered_timestamps_with_rehash_attempt_still_break_the_next_link(db: Database) -> None:
    fill(db, 4)
    with db.session() as s:
        entries = list(audit_log.iter_entries(s))
    forged = [entries[0], entries[2], entries[1], entries[3]]
    result = verify_chain(forged)
    assert not result.ok and result.first_broken_seq == 2


def test_concurrent_appends_stay_one_chain(db: Database) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                with db.session() as s:
                    audit_log.append(
                        s, AuditEvent(f"w{n}", AuditAction.ALERT_VIEWED, "alert", f"{n}-{i}")
                    )
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = report(db)
    assert result.ok and result.entries == 40, result.describe()


@pytest.mark.parametrize("seq", [1, 3])
def test_first_broken_link_is_the_earliest(db: Database, seq: int) -> None:
    fill(db, 5)
    with db.session() as s:
        s.execute(update(AuditRecord).where(AuditRecord.seq == seq).values(actor="mallory"))
        s.execute(update(AuditRecord).where(AuditRecord.seq == 5).values(actor="mallory"))
    assert report(db).first_broken_seq == seq
