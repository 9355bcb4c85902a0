from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from clearsight.types import frozen_array

if TYPE_CHECKING:
    from clearsight.match._search import GallerySearch, SearchHits

# With an approximate index attached, subject scores come from this many nearest templates.
_INDEX_NEIGHBOURS = 64


@dataclass(frozen=True, eq=False)
class SubjectHits:
    """The ``k`` best subjects of each probe: indexes into ``subject_ids`` and best scores.

    Both (P, k), sorted by descending score; -1 and ``-inf`` where fewer were found.
    """

    subjects: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]


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
    search: GallerySearch | None = field(default=None, repr=False)
    """How probes are searched; None is exact search over ``templates``."""

    @classmethod
    def build(
        cls,
        model_id: str,
        entries: Sequence[tuple[str, str, npt.NDArray[np.float32]]],
        dimensions: int | None = None,
    ) -> Gallery:
        """From ``(subject_id, subject_name, template)`` rows, several rows per subject allowed.

        ``dimensions`` defaults to the templates' own length (128, dlib's, when there are none),
        so a 512-D ArcFace watchlist builds like a 128-D one.
        """
        if dimensions is None:
            dimensions = int(np.asarray(entries[0][2]).size) if len(entries) else 128
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
            templates=frozen_array(templates, np.float32).astype(np.float32, copy=False),
            row_subject=frozen_array([order[row[0]] for row in rows], np.int64).astype(
                np.int64, copy=False
            ),
            subject_ids=tuple(order),
            subject_names=tuple(names[s] for s in order),
        )

    def __len__(self) -> int:
        return len(self.subject_ids)

    @property
    def template_count(self) -> int:
        return int(self.templates.shape[0])

    def with_search(self, search: GallerySearch) -> Gallery:
        """The same gallery searched by ``search``, which must index exactly ``templates``."""
        if search.size != self.template_count:
            raise ValueError(
                f"search holds {search.size} templates, the gallery {self.template_count}"
            )
        return replace(self, search=search)

    def top_templates(self, probes: npt.NDArray[np.float32], k: int) -> SearchHits:
        """Each probe's ``k`` most similar template rows, through the attached search."""
        from clearsight.match._search import ExactSearch

        search = self.search or ExactSearch(self.templates)
        return search.search(probes, k)

    def top_subjects(self, probes: npt.NDArray[np.float32], k: int) -> SubjectHits:
        """Each probe's ``k`` best subjects (best photo per subject), through the search."""
        wanted = max(1, int(k))
        if self._is_exact():
            scores = self.subject_scores(probes)
            found = min(wanted, scores.shape[1])
            subjects = np.full((len(scores), wanted), -1, np.int64)
            best = np.full((len(scores), wanted), -np.inf, np.float32)
            if found < scores.shape[1]:
                # Partial selection first: a full sort of every subject is wasted work.
                part = np.argpartition(-scores, found - 1, axis=1)[:, :found]
                within = np.argsort(
                    -np.take_along_axis(scores, part, axis=1), axis=1, kind="stable"
                )
                order = np.take_along_axis(part, within, axis=1)
            else:
                order = np.argsort(-scores, axis=1, kind="stable")[:, :found]
            subjects[:, :found] = order
            best[:, :found] = np.take_along_axis(scores, order, axis=1)
            return SubjectHits(subjects, best)
        hits = self.top_templates(probes, max(_INDEX_NEIGHBOURS, 4 * wanted))
        subjects = np.full((len(hits.rows), wanted), -1, np.int64)
        best = np.full((len(hits.rows), wanted), -np.inf, np.float32)
        for p, (rows, scores) in enumerate(zip(hits.rows, hits.scores, strict=True)):
            found = self.row_subject[rows[rows >= 0]]
            # Hits are sorted, so a subject's first appearance is its best photo.
            _, first = np.unique(found, return_index=True)
            keep = np.sort(first)[:wanted]
            subjects[p, : len(keep)] = found[keep]
            best[p, : len(keep)] = scores[rows >= 0][keep]
        return SubjectHits(subjects, best)

    def _is_exact(self) -> bool:
        return self.search is None or self.search.kind == "exact"

    def subject_scores(self, probes: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """(probes, subjects): each probe's best cosine score against each subject's photos.

        With an approximate index attached, subjects among the nearest templates get their
        exact score and every other subject gets -1 (below any threshold).
        """
        if not self._is_exact() and self.template_count:
            hits = self.top_subjects(probes, _INDEX_NEIGHBOURS)
            dense = np.full((len(hits.subjects), len(self)), -1.0, np.float32)
            for p, (subjects, scores) in enumerate(zip(hits.subjects, hits.scores, strict=True)):
                dense[p, subjects[subjects >= 0]] = scores[subjects >= 0]
            return dense
        probes = np.asarray(probes, np.float32).reshape(
            -1, self.templates.shape[1] if self.template_count else 128
        )
        if self.template_count == 0:
            return np.zeros((len(probes), 0), np.float32)
        scores = probes @ self.templates.T
        starts = np.flatnonzero(np.r_[True, np.diff(self.row_subject) != 0])
        return np.maximum.reduceat(scores, starts, axis=1).astype(np.float32)
