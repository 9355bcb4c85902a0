"""Subject-level (cluster) bootstrap confidence intervals for FMR and FNMR.

Comparisons of one person's photos are not independent of each other, so the unit that is
resampled is the subject: each replicate draws subjects with replacement and recomputes the
rate from per-subject (mated) or per-subject-pair (impostor) counts. Seeded, so reports are
reproducible.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["bootstrap_impostor_rate", "bootstrap_mated_rate", "percentile_interval"]

Counts = npt.NDArray[np.float64]


def percentile_interval(
    values: npt.NDArray[np.float64], level: float = 0.95
) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def _weights(subjects: int, replicates: int, seed: int) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    return rng.multinomial(subjects, np.full(subjects, 1.0 / subjects), size=replicates).astype(
        np.float64
    )


def bootstrap_mated_rate(
    errors: Counts, pairs: Counts, replicates: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """CI of sum(errors)/sum(pairs) with subjects (rows) resampled."""
    if errors.size == 0 or pairs.sum() == 0:
        return float("nan"), float("nan")
    weights = _weights(errors.size, replicates, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = (weights @ errors) / (weights @ pairs)
    return percentile_interval(rates, level)


def bootstrap_impostor_rate(
    errors: Counts, pairs: Counts, replicates: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """CI of an impostor rate from symmetric subject x subject matrices with zero diagonals:
    ``errors[a, b]`` accepted comparisons between subjects a and b, ``pairs[a, b]`` all of them.
    A replicate with multiplicities c has rate (c' E c) / (c' P c); a subject drawn twice is
    never compared with itself, because the diagonals are zero."""
    subjects = errors.shape[0]
    if subjects < 2 or pairs.sum() == 0:
        return float("nan"), float("nan")
    rates = np.empty(replicates, np.float64)
    for start in range(0, replicates, 100):
        weights = _weights(subjects, min(100, replicates - start), seed + start)
        accepted = np.einsum("ij,ij->i", weights @ errors, weights)
        total = np.einsum("ij,ij->i", weights @ pairs, weights)
        with np.errstate(invalid="ignore", divide="ignore"):
            rates[start : start + len(weights)] = accepted / total
    return percentile_interval(rates, level)
