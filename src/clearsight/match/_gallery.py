from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearsight.types._arrays import frozen_array


@dataclass(frozen=True, eq=False)
class Gallery:
    """Enrolled templates of approved watchlist subjects, one row per reference photo.

    Rows of the same subject are contiguous (``Gallery.build`` sorts them), so the best
    score per subject is one ``np.maximum.reduceat`` over a probe's scores.
    """

    model_id: str
    templates: npt.NDArray[np.float32]
    row_subject: npt.NDArray[np.int64]
    subject_ids: tuple[str, ...]
    subject_names: tuple[str, ...]

    @classmethod
    def build(
        cls,
        model_id: str,
        entries: Sequence[tuple[str, str, npt.NDArray[np.float32]]],
        dimensions: int = 128,
    ) -> Gallery:
        """From ``(subject_id, subject_name, template)`` rows, several rows per subject allowed."""
        order: dict[str, int] = {}
        names: dict[str, str] = {}
        for subject_id, name, _ in entries:
            order.setdefault(subject_id, len(order))
            names[subject_id] = name
        rows = sorted(entries, key=lambda entry: order[entry[0]])
        templates = np.zeros((len(rows), dimensions), np.float32)
        for i, (_, _, vector) in enumerate(rows):
            vector = np.asarray(vector, np.float32).reshape(-1)
            templates[i] = vector / np.linalg.norm(vector)
        return cls(
            model_id=model_id,
            templates=frozen_array(templates, np.float32),
            row_subject=frozen_array([order[row[0]] for row in rows], np.int64),
            subject_ids=tuple(order),
            subject_names=tuple(names[s] for s in order),
        )

    def __len__(self) -> int:
        return len(self.subject_ids)

    @property
    def template_count(self) -> int:
        return int(self.templates.shape[0])

    def subject_scores(self, probes: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """(probes, subjects): each probe's best cosine score against each subject's photos."""
        probes = np.asarray(probes, np.float32).reshape(-1, self.templates.shape[1] if self.template_count else 128)
        if self.template_count == 0:
            return np.zeros((len(probes), 0), np.float32)
        scores = probes @ self.templates.T
        starts = np.flatnonzero(np.r_[True, np.diff(self.row_subject) != 0])
        return np.maximum.reduceat(scores, starts, axis=1).astype(np.float32)
