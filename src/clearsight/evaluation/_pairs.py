"""All-pairs score statistics of one set of templates, grouped by subject, in row blocks.

The full similarity matrix of 10,000 images would take 400 MB; blocks keep memory small.
Impostor scores are kept as a fine histogram (bins of 1e-4), which is enough to read a false
match rate of one in millions; mated scores are few and kept exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "BIN_EDGES",
    "PairStatistics",
    "count_accepted",
    "fmr_from_histogram",
    "pair_statistics",
    "threshold_from_histogram",
]

BINS = 20_000
BIN_EDGES = np.linspace(-1.0, 1.0, BINS + 1)
_BLOCK = 1024

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PairStatistics:
    """Scores of all pairs among templates sorted by subject (``starts`` marks each subject)."""

    impostor_histogram: npt.NDArray[np.int64]
    mated_scores: FloatArray
    mated_subject: npt.NDArray[np.int64]
    """Subject index (0..subjects-1) of each mated score."""
    subjects: int
    images_per_subject: npt.NDArray[np.int64]

    @property
    def impostor_pairs(self) -> int:
        return int(self.impostor_histogram.sum())

    @property
    def mated_pairs(self) -> int:
        return int(self.mated_scores.size)


def _subject_index(subjects: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], int]:
    if subjects.size and bool(np.any(np.diff(subjects) < 0)):
        raise ValueError("templates must be sorted by subject")
    _, dense = np.unique(subjects, return_inverse=True)
    return dense.astype(np.int64), int(dense.max()) + 1 if dense.size else 0


def pair_statistics(
    vectors: npt.NDArray[np.float32], subjects: npt.NDArray[np.int64]
) -> PairStatistics:
    """Histogram of impostor scores and the list of mated scores over all unordered pairs."""
    dense, count = _subject_index(subjects)
    histogram = np.zeros(BINS, np.int64)
    mated, mated_subject = [], []
    for start in range(0, len(vectors), _BLOCK):
        stop = min(start + _BLOCK, len(vectors))
        scores = vectors[start:stop] @ vectors[start:].T  # pairs (i, j) with j >= i
        rows = np.arange(start, stop)[:, None]
        cols = np.arange(start, len(vectors))[None, :]
        upper = cols > rows
        same = dense[start:stop, None] == dense[None, start:]
        impostor = scores[upper & ~same]
        bins = np.clip(((impostor + 1.0) * (BINS / 2)).astype(np.int64), 0, BINS - 1)
        histogram += np.bincount(bins, minlength=BINS)
        mated_mask = upper & same
        mated.append(scores[mated_mask].astype(np.float64))
        mated_subject.append(np.broadcast_to(dense[start:stop, None], scores.shape)[mated_mask])
    return PairStatistics(
        impostor_histogram=histogram,
        mated_scores=np.concatenate(mated) if mated else np.zeros(0),
        mated_subject=np.concatenate(mated_subject) if mated_subject else np.zeros(0, np.int64),
        subjects=count,
        images_per_subject=np.bincount(dense, minlength=count).astype(np.int64),
    )


def count_accepted(
    vectors: npt.NDArray[np.float32], subjects: npt.NDArray[np.int64], threshold: float
) -> npt.NDArray[np.float64]:
    """Subject x subject matrix of impostor comparisons scoring >= threshold (zero diagonal)."""
    dense, count = _subject_index(subjects)
    starts = np.flatnonzero(np.r_[True, np.diff(dense) != 0])
    accepted = np.zeros((count, count), np.float64)
    for start in range(0, len(vectors), _BLOCK):
        stop = min(start + _BLOCK, len(vectors))
        hits = (vectors[start:stop] @ vectors.T >= threshold).astype(np.float64)
        per_subject = np.add.reduceat(hits, starts, axis=1)  # rows x subjects
        np.add.at(accepted, dense[start:stop], per_subject)
    np.fill_diagonal(accepted, 0.0)
    return accepted


def fmr_from_histogram(histogram: npt.NDArray[np.int64], threshold: float) -> float:
    """Share of impostor scores at or above ``threshold``, to the histogram's 1e-4 resolution."""
    total = histogram.sum()
    if total == 0:
        return float("nan")
    first = int(np.clip(np.ceil((threshold + 1.0) * (BINS / 2) - 1e-9), 0, BINS))
    return float(histogram[first:].sum() / total)


def threshold_from_histogram(histogram: npt.NDArray[np.int64], target_fmr: float) -> float:
    """The lowest bin edge whose FMR (scores >= edge) is at or under ``target_fmr``."""
    total = histogram.sum()
    if total == 0:
        return float("nan")
    at_or_above = np.cumsum(histogram[::-1])[::-1]  # at_or_above[k] = count >= BIN_EDGES[k]
    allowed = np.flatnonzero(at_or_above <= target_fmr * total)
    index = int(allowed[0]) if allowed.size else BINS
    return round(float(BIN_EDGES[index]), 6)
