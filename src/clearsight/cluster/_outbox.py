"""The worker's disk buffer of alerts not yet acknowledged by JetStream (a SQLite outbox).

Every alert goes through it: written (already encrypted) before publishing, deleted only once
JetStream has acknowledged it, so a worker that loses NATS, or crashes, delivers later. The
buffer is bounded; an alert that finds it full is refused, counted (persistently) and logged
with its id, never dropped silently.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from clearsight.errors import StoreError

__all__ = ["Outbox", "OutboxEntry"]

_log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    sealed BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('overflow', 0);
"""


@dataclass(frozen=True)
class OutboxEntry:
    """One buffered alert: its id (the Nats-Msg-Id), subject and encrypted body."""

    seq: int
    alert_id: str
    subject: str
    sealed: bytes


class Outbox:
    """A bounded, crash-safe queue of encrypted alerts in ``path`` (SQLite, WAL)."""

    def __init__(self, path: Path, max_alerts: int) -> None:
        self.path = path
        self.max_alerts = max_alerts
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._pending = int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        except sqlite3.Error as error:
            raise StoreError(f"{path}: cannot open the alert buffer ({error})") from error

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def overflow(self) -> int:
        """Alerts refused because the buffer was full, since the buffer was created."""
        row = self._db.execute("SELECT value FROM counters WHERE name='overflow'").fetchone()
        return int(row[0])

    def add(self, alert_id: str, subject: str, sealed: bytes) -> bool:
        """Buffer an alert; False (counted and logged) when the buffer is full."""
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                if self._pending >= self.max_alerts:
                    self._db.execute("UPDATE counters SET value = value + 1 WHERE name='overflow'")
                    _log.error(
                        "alert buffer %s is full (%d alerts): alert %s refused and counted",
                        self.path,
                        self.max_alerts,
                        alert_id,
                    )
                    return False
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO outbox (alert_id, subject, sealed) VALUES (?, ?, ?)",
                    (alert_id, subject, sealed),
                )
                self._pending += cursor.rowcount
                return True
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot buffer alert {alert_id} ({error})") from error

    def oldest(self, limit: int) -> list[OutboxEntry]:
        rows = self._db.execute(
            "SELECT seq, alert_id, subject, sealed FROM outbox ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [OutboxEntry(int(r[0]), str(r[1]), str(r[2]), bytes(r[3])) for r in rows]

    def remove(self, seqs: list[int]) -> None:
        """Forget alerts JetStream has acknowledged."""
        if not seqs:
            return
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                cursor = self._db.executemany(
                    "DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs]
                )
                self._pending -= max(cursor.rowcount, 0)
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot update the alert buffer ({error})") from error

    def close(self) -> None:
        self._db.close()
