"""Metric functions on synthetic scores, against answers computed independently (brute force)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from clearsight.evaluation import (
    auc,
    best_accuracy_threshold,
    equal_error_rate,
    kfold_accuracy,
    rates_at,
    roc_curve,
    tar_at_far,
    threshold_for_fmr,
)


def _brute_auc(mated: np.ndarray, impostor: np.ndarray) -> float:
    pairs = itertools.product(mated, impostor)
    wins = sum(1.0 if m > i else 0.5 if m == i else 0.0 for m, i in pairs)
    return wins / (len(mated) * len(impostor))


def test_auc_matches_pairwise_count_with_ties() -> None:
    rng = np.random.default_rng(1)
    mated = np.round(rng.normal(0.7, 0.1, 60), 2)
    impostor = np.round(rng.normal(0.5, 0.1, 80), 2)  # rounding makes ties
    scores = np.r_[mated, impostor]
    same = np.r_[np.ones(60, bool), np.zeros(80, bool)]
    assert auc(scores, same) == pytest.approx(_brute_auc(mated, impostor), abs=1e-12)


def test_perfect_and_inverted_separation() -> None:
    same = np.array([True, True, False, False])
    assert auc([0.9, 0.8, 0.1, 0.2], same) == 1.0
    assert auc([0.1, 0.2, 0.9, 0.8], same) == 0.0
    assert equal_error_rate([0.9, 0.8, 0.1, 0.2], same)[0] == 0.0


def test_roc_points_match_direct_rates() -> None:
    rng = np.random.default_rng(2)
    scores = rng.random(50)
    same = rng.random(50) > 0.5
    curve = roc_curve(scores, same)
    for threshold, far, tar in zip(curve.thresholds[1:], curve.far[1:], curve.tar[1:], strict=True):
        fmr, fnmr = rates_at(threshold, scores[same], scores[~same])
        assert far == pytest.approx(fmr)
        assert tar == pytest.approx(1 - fnmr)
    assert curve.far[0] == 0 and curve.tar[0] == 0
    assert curve.far[-1] == 1 and curve.tar[-1] == 1


def test_equal_error_rate_of_symmetric_overlap() -> None:
    # Mated 0.1..1.0, impostor 0.0..0.9: at 0.5 FAR 0.5 / FRR 0.4, at 0.6 FAR 0.4 / FRR 0.5,
    # so the rates cross at 0.45.
    mated = np.arange(1, 11) / 10
    impostor = np.arange(0, 10) / 10
    scores = np.r_[mated, impostor]
    same = np.r_[np.ones(10, bool), np.zeros(10, bool)]
    eer, threshold = equal_error_rate(scores, same)
    assert eer == pytest.approx(0.45)
    assert 0.5 <= threshold <= 0.6
    # Independent bounds: between min(FAR, FRR) and max(FAR, FRR) at every threshold.
    points = [rates_at(t, mated, impostor) for t in np.unique(scores)]
    assert max(min(p) for p in points) <= eer <= min(max(p) for p in points)


def test_threshold_for_fmr_accepts_exactly_the_allowed_impostors() -> None:
    impostor = np.arange(1000) / 1000  # 0.000 .. 0.999
    threshold = threshold_for_fmr(impostor, 0.01)
    assert np.sum(impostor >= threshold) == 10
    assert np.sum(impostor >= threshold_for_fmr(impostor, 0.0)) == 0
    assert np.sum(impostor >= threshold_for_fmr(impostor, 0.0105)) == 10


def test_tar_at_far() -> None:
    impostor = np.arange(100) / 100
    mated = np.array([0.5, 0.985, 0.995, 1.0])
    scores = np.r_[mated, impostor]
    same = np.r_[np.ones(4, bool), np.zeros(100, bool)]
    tar, threshold = tar_at_far(scores, same, 0.01)  # one impostor (0.99) may pass, not 0.98
    assert 0.98 < threshold <= 0.99
    assert tar == pytest.approx(3 / 4)  # 0.985, 0.995 and 1.0 pass; 0.5 does not


def test_best_accuracy_threshold_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    scores = np.r_[rng.normal(0.6, 0.1, 40), rng.normal(0.4, 0.1, 40)]
    same = np.r_[np.ones(40, bool), np.zeros(40, bool)]
    threshold = best_accuracy_threshold(scores, same)
    best = max(np.mean((scores >= t) == same) for t in np.r_[scores, scores + 1e-9, 10.0])
    assert np.mean((scores >= threshold) == same) == pytest.approx(best)


def test_kfold_threshold_never_sees_the_test_fold() -> None:
    # Folds 0 and 1 separate at 0.5; fold 2 is shifted to separate at 0.8. The threshold for
    # fold 2 comes from folds 0 and 1 only, so fold 2 is scored with ~0.5 and misclassifies.
    same = np.array([True, True, False, False] * 3)
    scores = np.array([0.6, 0.7, 0.3, 0.4, 0.6, 0.7, 0.3, 0.4, 0.85, 0.9, 0.7, 0.75])
    folds = np.repeat([0, 1, 2], 4)
    results = kfold_accuracy(scores, same, folds)
    assert [r.fold for r in results] == [0, 1, 2]
    assert results[0].accuracy == 1.0 and results[1].accuracy == 1.0
    assert results[2].accuracy == 0.5
    assert results[2].threshold < 0.6


def test_metrics_reject_one_sided_input() -> None:
    with pytest.raises(ValueError, match="both mated and impostor"):
        auc([0.1, 0.2], [True, True])
