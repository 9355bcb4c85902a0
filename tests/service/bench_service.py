"""Figures for the service's storage: audit appends per second (one transaction each, as the
service does them), chain verification speed, and decision round trips through the API.

    python tests/service/bench_service.py [--entries 2000] [--postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from clearsight.audit import AuditAction, AuditEvent
from clearsight.store import Database, audit_log


def bench_chain(db: Database, entries: int, label: str) -> None:
    db.migrate()
    start = time.perf_counter()
    for i in range(entries):
        with db.session() as s:
            audit_log.append(
                s,
                AuditEvent(
                    "bench",
                    AuditAction.FACE_IMAGE_VIEWED,
                    "alert_crop",
                    f"c{i}",
                    reason="bench",
                    details={"i": str(i)},
                ),
            )
    append_s = time.perf_counter() - start
    start = time.perf_counter()
    with db.read_session() as s:
        report = audit_log.verify(s)
    verify_s = time.perf_counter() - start
    print(
        f"{label}: {entries / append_s:,.0f} audited transactions/s "
        f"({1000 * append_s / entries:.2f} ms each); verify {entries / verify_s:,.0f} "
        f"entries/s; {report.describe()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also run against postgresql://postgres@127.0.0.1:5432/test",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.for_data_dir(Path(tmp))
        bench_chain(db, args.entries, "SQLite (WAL, synchronous=FULL)")
        db.dispose()
    if args.postgres:
        import psycopg

        url = "postgresql://postgres@127.0.0.1:5432/test"
        schema = f"cs_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            db = Database(url, schema=schema)
            bench_chain(db, args.entries, "PostgreSQL (local)")
            db.dispose()
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
