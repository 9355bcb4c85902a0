"""Calibration cards from measured score distributions: score -> false match rate and back.

Impostor scores arrive as a fine histogram (``_pairs``), so tens of millions of comparisons
fit in memory and the card can resolve false match rates near one in a million. The score
grid is a linear grid plus the scores at log-spaced false match rates, so the tail, where
deployments operate, is as finely described as the bulk.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clearsight.evaluation._pairs import BIN_EDGES, PairStatistics
from clearsight.match import CalibrationCard

__all__ = ["card_from_statistics"]


def _grid(
    histogram: npt.NDArray[np.int64], mated: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    total = histogram.sum()
    at_or_above = np.cumsum(histogram[::-1])[::-1]
    occupied = np.flatnonzero(histogram)
    low = min(float(BIN_EDGES[occupied[0]]), float(mated.min()) if mated.size else 1.0)
    linear = np.linspace(low, 1.0, 201)
    tail = []
    for exponent in np.arange(0.0, np.log10(total) + 0.25, 0.25):
        allowed = np.flatnonzero(at_or_above <= total / 10**exponent)
        if allowed.size:
            tail.append(float(BIN_EDGES[allowed[0]]))
    grid = np.unique(np.round(np.concatenate([linear, tail, [1.0]]), 6))
    return grid[(grid >= low) & (grid <= 1.0)]


def card_from_statistics(
    model_id: str,
    statistics: PairStatistics,
    source: str,
    version: str,
    notes: str,
    grid: npt.NDArray[np.float64] | None = None,
) -> CalibrationCard:
    """A card whose FMR at each grid score (``grid``, or one made from the distributions) is
    the share of impostor comparisons at or above it (to the histogram's 1e-4 score
    resolution) and FNMR the share of mated ones below it; no groups yet."""
    histogram = statistics.impostor_histogram
    mated = np.sort(statistics.mated_scores)
    grid = _grid(histogram, mated) if grid is None else grid
    at_or_above = np.r_[np.cumsum(histogram[::-1])[::-1], 0]
    bins = np.clip(
        np.ceil((grid + 1.0) * ((len(BIN_EDGES) - 1) / 2) - 1e-9).astype(int), 0, len(BIN_EDGES) - 1
    )
    fmr = at_or_above[bins] / histogram.sum()
    fnmr = np.searchsorted(mated, grid, side="left") / max(mated.size, 1)
    return CalibrationCard.model_validate(
        {
            "model_id": model_id,
            "version": version,
            "source": source,
            "impostor_comparisons": int(histogram.sum()),
            "mated_comparisons": int(mated.size),
            "thresholds": [float(t) for t in grid],
            "fmr": [float(f) for f in fmr],
            "fnmr": [float(f) for f in fnmr],
            "notes": notes,
        }
    )
