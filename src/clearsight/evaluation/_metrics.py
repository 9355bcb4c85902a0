"""Verification metrics over similarity scores (higher = more alike), numpy only.

Conventions: a pair is accepted when its score is at or above the threshold. FMR (= FAR)
is the share of impostor pairs accepted, FNMR the share of mated pairs rejected, TAR = 1 - FNMR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "FoldResult",
    "RocCurve",
    "auc",
    "best_accuracy_threshold",
    "equal_error_rate",
    "kfold_accuracy",
    "rates_at",
    "roc_curve",
    "tar_at_far",
    "threshold_for_fmr",
]

Scores = npt.ArrayLike


def _split(scores: Scores, same: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], ...]:
    values = np.asarray(scores, np.float64).reshape(-1)
    labels = np.asarray(same, np.bool_).reshape(-1)
    if values.shape != labels.shape:
        raise ValueError("scores and labels must have the same length")
    if not labels.any() or labels.all():
        raise ValueError("need both mated and impostor pairs")
    return values[labels], values[~labels]


def rates_at(threshold: float, mated: Scores, impostor: Scores) -> tuple[float, float]:
    """(FMR, FNMR) when scores >= ``threshold`` are accepted."""
    mated_scores = np.asarray(mated, np.float64)
    impostor_scores = np.asarray(impostor, np.float64)
    fmr = float(np.mean(impostor_scores >= threshold)) if impostor_scores.size else float("nan")
    fnmr = float(np.mean(mated_scores < threshold)) if mated_scores.size else float("nan")
    return fmr, fnmr


@dataclass(frozen=True, eq=False)
class RocCurve:
    """Operating points from strictest to loosest: at thresholds[i], FAR far[i], TAR tar[i]."""

    thresholds: npt.NDArray[np.float64]
    far: npt.NDArray[np.float64]
    tar: npt.NDArray[np.float64]


def roc_curve(scores: Scores, same: npt.ArrayLike) -> RocCurve:
    """Every distinct score as a threshold, plus +inf (nothing accepted)."""
    mated, impostor = _split(scores, same)
    thresholds = np.concatenate([[np.inf], np.unique(np.concatenate([mated, impostor]))[::-1]])
    mated_sorted, impostor_sorted = np.sort(mated), np.sort(impostor)
    accepted_mated = mated.size - np.searchsorted(mated_sorted, thresholds, side="left")
    accepted_impostor = impostor.size - np.searchsorted(impostor_sorted, thresholds, side="left")
    return RocCurve(thresholds, accepted_impostor / impostor.size, accepted_mated / mated.size)


def auc(scores: Scores, same: npt.ArrayLike) -> float:
    """Area under the ROC: the probability a mated pair outscores an impostor pair (ties 1/2),
    from the Mann-Whitney rank sum."""
    mated, impostor = _split(scores, same)
    values = np.concatenate([mated, impostor])
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(values.size, np.float64)
    sorted_values = values[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_values, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    rank_sum = ranks[: mated.size].sum()
    u = rank_sum - mated.size * (mated.size + 1) / 2.0
    return float(u / (mated.size * impostor.size))


def equal_error_rate(scores: Scores, same: npt.ArrayLike) -> tuple[float, float]:
    """(EER, threshold): where FAR and FRR cross, linearly interpolated between ROC points."""
    curve = roc_curve(scores, same)
    frr = 1.0 - curve.tar
    gap = curve.far - frr  # rises from -1 (strict) to +1 (loose)
    index = int(np.searchsorted(gap, 0.0, side="left"))
    if index == 0:
        return float(curve.far[0]), float(curve.thresholds[0])
    g0, g1 = gap[index - 1], gap[index]
    weight = 0.0 if g1 == g0 else -g0 / (g1 - g0)
    far = curve.far[index - 1] + weight * (curve.far[index] - curve.far[index - 1])
    frr_value = frr[index - 1] + weight * (frr[index] - frr[index - 1])
    threshold = (
        curve.thresholds[index]
        if np.isinf(curve.thresholds[index - 1])
        else (
            curve.thresholds[index - 1]
            + weight * (curve.thresholds[index] - curve.thresholds[index - 1])
        )
    )
    return float((far + frr_value) / 2.0), float(threshold)


def threshold_for_fmr(impostor: Scores, target: float) -> float:
    """The lowest threshold whose FMR is at or under ``target`` (between two impostor scores)."""
    values = np.sort(np.asarray(impostor, np.float64))[::-1]
    allowed = int(np.floor(target * values.size + 1e-9))  # impostors that may be accepted
    if allowed >= values.size:
        return float(values[-1])
    # Accept the top ``allowed`` impostors but not the next one (or a tie with it).
    return float(np.nextafter(values[allowed], np.inf))


def tar_at_far(scores: Scores, same: npt.ArrayLike, far: float) -> tuple[float, float]:
    """(TAR, threshold) at the strictest threshold whose FAR is at or under ``far``."""
    mated, impostor = _split(scores, same)
    threshold = threshold_for_fmr(impostor, far)
    return float(np.mean(mated >= threshold)), threshold


def best_accuracy_threshold(scores: Scores, same: npt.ArrayLike) -> float:
    """The threshold that maximises accuracy, midway between neighbouring scores (lowest such)."""
    values = np.asarray(scores, np.float64).reshape(-1)
    labels = np.asarray(same, np.bool_).reshape(-1)
    unique = np.unique(values)
    candidates = np.concatenate(
        [[unique[0] - 1e-6], (unique[1:] + unique[:-1]) / 2, [unique[-1] + 1e-6]]
    )
    mated_sorted = np.sort(values[labels])
    impostor_sorted = np.sort(values[~labels])
    correct_mated = mated_sorted.size - np.searchsorted(mated_sorted, candidates, side="left")
    correct_impostor = np.searchsorted(impostor_sorted, candidates, side="left")
    return float(candidates[int(np.argmax(correct_mated + correct_impostor))])


@dataclass(frozen=True)
class FoldResult:
    fold: int
    threshold: float
    accuracy: float


def kfold_accuracy(scores: Scores, same: npt.ArrayLike, folds: npt.ArrayLike) -> list[FoldResult]:
    """The LFW protocol: for each fold, the best-accuracy threshold on all other folds,
    applied to that fold."""
    values = np.asarray(scores, np.float64)
    labels = np.asarray(same, np.bool_)
    fold_ids = np.asarray(folds)
    results = []
    for fold in np.unique(fold_ids):
        test = fold_ids == fold
        threshold = best_accuracy_threshold(values[~test], labels[~test])
        predicted = values[test] >= threshold
        results.append(FoldResult(int(fold), threshold, float(np.mean(predicted == labels[test]))))
    return results
