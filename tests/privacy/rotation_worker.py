"""Rotate a plain SQLite table of encrypted blobs: run by test_rotation_kill as a real process.

Usage: python rotation_worker.py DB KEY_FILE [PAUSE_SECONDS]
Prints ``done <id> <rewritten>`` after each record is committed, then ``report ...``.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from clearsight.crypto import BlobCipher, EncryptedRecord, load_key_ring, rotate


def associated_data(record_id: str) -> bytes:
    return f"blobs/{record_id}".encode()


def table_records(connection: sqlite3.Connection, batch: int = 25) -> Iterator[EncryptedRecord]:
    """Keyset pagination, so the whole table is never held in memory."""
    last = ""
    while True:
        rows = connection.execute(
            "SELECT id, data FROM blobs WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
        ).fetchall()
        if not rows:
            return
        for record_id, data in rows:
            yield EncryptedRecord(record_id, associated_data(record_id), bytes(data))
        last = rows[-1][0]


def main() -> None:
    database, key_file = Path(sys.argv[1]), Path(sys.argv[2])
    pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    connection = sqlite3.connect(database)

    def replace(record: EncryptedRecord, new_blob: bytes) -> bool:
        with connection:  # one committed transaction per record
            cursor = connection.execute(
                "UPDATE blobs SET data = ? WHERE id = ? AND data = ?",
                (new_blob, record.record_id, record.blob),
            )
        return cursor.rowcount == 1

    def progress(record: EncryptedRecord, rewritten: bool) -> None:
        print(f"done {record.record_id} {int(rewritten)}", flush=True)
        if pause:
            time.sleep(pause)

    cipher = BlobCipher(load_key_ring(key_file))
    report = rotate(table_records(connection), cipher, replace, progress)
    print(
        f"report examined={report.examined} reencrypted={report.reencrypted} "
        f"current={report.already_current} changed={report.changed_meanwhile}",
        flush=True,
    )


if __name__ == "__main__":
    main()
