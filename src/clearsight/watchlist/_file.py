from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from clearsight.errors import StoreError
from clearsight.match import Gallery
from clearsight.types import Embedding

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subjects (
    subject_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS templates (
    template_id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id TEXT NOT NULL REFERENCES subjects(subject_id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    vector BLOB NOT NULL,
    photo_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (subject_id, photo_sha256, model_id)
);
PRAGMA user_version = 1;
"""


@dataclass(frozen=True)
class WatchlistSubject:
    subject_id: str
    name: str
    templates: int


class WatchlistFile:
    """A SQLite watchlist file (WAL mode, one writer at a time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{path}: not a usable watchlist database ({error})") from error

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> WatchlistFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add(self, name: str, embeddings: list[tuple[Embedding, str]]) -> WatchlistSubject:
        """Add templates (with the SHA-256 of each source photo) to ``name``, creating it."""
        now = datetime.now(UTC).isoformat()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT subject_id FROM subjects WHERE name = ?", (name,)
            ).fetchone()
            subject_id = row[0] if row else uuid.uuid4().hex
            if row is None:
                self._db.execute("INSERT INTO subjects VALUES (?, ?, ?)", (subject_id, name, now))
            for embedding, photo_sha256 in embeddings:
                self._db.execute(
                    "INSERT OR IGNORE INTO templates (subject_id, model_id, vector, photo_sha256, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (subject_id, embedding.model_id, embedding.vector.tobytes(), photo_sha256, now),
                )
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            self._db.execute("ROLLBACK")
            raise StoreError(f"{self.path}: cannot write watchlist ({error})") from error
        return next(s for s in self.subjects() if s.subject_id == subject_id)

    def remove(self, name: str) -> bool:
        cursor = self._db.execute("DELETE FROM subjects WHERE name = ?", (name,))
        return cursor.rowcount > 0

    def subjects(self) -> list[WatchlistSubject]:
        rows = self._db.execute(
            "SELECT s.subject_id, s.name, COUNT(t.template_id) FROM subjects s "
            "LEFT JOIN templates t ON t.subject_id = s.subject_id GROUP BY s.subject_id ORDER BY s.name"
        ).fetchall()
        return [WatchlistSubject(subject_id=r[0], name=r[1], templates=int(r[2])) for r in rows]

    def model_ids(self) -> dict[str, int]:
        """How many templates each embedding model has in this file."""
        rows = self._db.execute(
            "SELECT model_id, COUNT(*) FROM templates GROUP BY model_id ORDER BY model_id"
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def matchable_gallery(self, model_id: str) -> Gallery:
        """``gallery(model_id)``, refused when any subject has no template of that model
        (enrolled with another embedder: matching would silently never find them)."""
        missing = [
            str(r[0])
            for r in self._db.execute(
                "SELECT s.name FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM templates t "
                "WHERE t.subject_id = s.subject_id AND t.model_id = ?) ORDER BY s.name",
                (model_id,),
            ).fetchall()
        ]
        if missing:
            others = sorted(set(self.model_ids()) - {model_id})
            names = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            raise StoreError(
                f"{self.path}: the watchlist was enrolled with {', '.join(others) or 'no model'}, "
                f"the configured embedder is {model_id}; {len(missing)} subject(s) have no "
                f"template of it ({names}). Re-enrol each from their reference photo with "
                f"this config: clearsight enroll NAME PHOTO --watchlist {self.path} [-c CONFIG] "
                "(the file keeps each photo's SHA-256, not the photo; the service's database "
                "keeps sealed photos and moves to a new model with `clearsight watchlist reembed`)"
            )
        return self.gallery(model_id)

    def gallery(self, model_id: str) -> Gallery:
        rows = self._db.execute(
            "SELECT s.subject_id, s.name, t.vector FROM templates t JOIN subjects s "
            "ON s.subject_id = t.subject_id WHERE t.model_id = ? ORDER BY s.subject_id",
            (model_id,),
        ).fetchall()
        entries = [(r[0], r[1], np.frombuffer(r[2], np.float32)) for r in rows]
        return Gallery.build(model_id, entries)
