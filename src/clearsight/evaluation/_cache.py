"""On-disk cache of faces and embeddings, keyed by file content and model, in SQLite.

One row per (content hash, face recipe) holds where the face was found and how; one row per
(content hash, face recipe, model, view) holds a descriptor. Renaming or moving an image
keeps its cache entries; changing a byte of it, the model or the recipe does not.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clearsight.errors import InputError

__all__ = ["CachedFace", "EmbeddingCache", "default_cache_dir"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS faces (
    hash TEXT NOT NULL, recipe TEXT NOT NULL, method TEXT NOT NULL,
    box BLOB NOT NULL, landmarks BLOB NOT NULL, PRIMARY KEY (hash, recipe));
CREATE TABLE IF NOT EXISTS vectors (
    hash TEXT NOT NULL, recipe TEXT NOT NULL, model TEXT NOT NULL, view TEXT NOT NULL,
    vector BLOB NOT NULL, PRIMARY KEY (hash, recipe, model, view));
"""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clearsight"


@dataclass(frozen=True, eq=False)
class CachedFace:
    """Where a face was found in one image: method is hog, cnn, centre or none (no face)."""

    method: str
    box: npt.NDArray[np.float32]
    landmarks: npt.NDArray[np.float32]


class EmbeddingCache:
    """A SQLite file of faces and descriptors; written by one process (the parent)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "embeddings.sqlite"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Another evaluation may be writing: wait for its transaction rather than fail.
            self._db = sqlite3.connect(self.path, timeout=120)
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise InputError(f"{self.path}: cannot open the embedding cache ({error})") from error

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def faces(self, hashes: Iterable[str], recipe: str) -> dict[str, CachedFace]:
        wanted = set(hashes)
        rows = self._db.execute(
            "SELECT hash, method, box, landmarks FROM faces WHERE recipe = ?", (recipe,)
        )
        found = {}
        for key, method, box, landmarks in rows:
            if key in wanted:
                found[key] = CachedFace(
                    method,
                    np.frombuffer(box, np.float32).copy(),
                    np.frombuffer(landmarks, np.float32).reshape(5, 2).copy(),
                )
        return found

    def vectors(
        self, hashes: Iterable[str], recipe: str, model: str, view: str
    ) -> dict[str, npt.NDArray[np.float32]]:
        wanted = set(hashes)
        rows = self._db.execute(
            "SELECT hash, vector FROM vectors WHERE recipe = ? AND model = ? AND view = ?",
            (recipe, model, view),
        )
        return {k: np.frombuffer(v, np.float32).copy() for k, v in rows if k in wanted}

    def put(
        self,
        key: str,
        recipe: str,
        face: CachedFace,
        model: str,
        views: dict[str, npt.NDArray[np.float32]],
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO faces VALUES (?, ?, ?, ?, ?)",
            (
                key,
                recipe,
                face.method,
                face.box.astype(np.float32).tobytes(),
                face.landmarks.astype(np.float32).tobytes(),
            ),
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?)",
            [
                (key, recipe, model, view, vector.astype(np.float32).tobytes())
                for view, vector in views.items()
            ],
        )

    def commit(self) -> None:
        self._db.commit()
