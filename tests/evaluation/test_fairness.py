"""Fairness from a tiny CSV manifest with fake embeddings (the seam: templates per image)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from clearsight.evaluation import (
    FairnessOptions,
    bootstrap_impostor_rate,
    bootstrap_mated_rate,
    count_accepted,
    evaluate_fairness,
    fmr_from_histogram,
    load_manifest,
    pair_statistics,
    threshold_from_histogram,
)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _dataset(tmp_path: Path) -> tuple[object, np.ndarray]:
    """Group 'spread': subjects far apart. Group 'crowded': subjects close to one centre.
    Group 'tiny': 3 subjects. 3 images per subject."""
    rng = np.random.default_rng(0)
    rows, vectors = ["path,subject,group"], []
    centre = rng.normal(size=128)
    for group, subjects, spread in (("spread", 20, None), ("crowded", 20, 0.35), ("tiny", 3, None)):
        for s in range(subjects):
            base = rng.normal(size=128)
            if spread is not None:
                base = centre + spread * base * np.linalg.norm(centre) / np.sqrt(128)
            for i in range(3):
                rows.append(f"{group}{s}_{i}.jpg,{group}{s},{group}")
                vectors.append(_unit(_unit(base) + 0.15 * rng.normal(size=128) / np.sqrt(128)))
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return load_manifest(tmp_path / "m.csv"), np.asarray(vectors, np.float32)


def _brute_rates(vectors: np.ndarray, subjects: list[str], threshold: float) -> tuple[float, float]:
    impostor, mated = [], []
    for i, j in itertools.combinations(range(len(subjects)), 2):
        score = float(vectors[i] @ vectors[j])
        (mated if subjects[i] == subjects[j] else impostor).append(score)
    fmr = float(np.mean(np.array(impostor) >= threshold))
    return fmr, float(np.mean(np.array(mated) < threshold))


def test_group_rates_match_brute_force_and_flag_the_worse_group(tmp_path: Path) -> None:
    images, vectors = _dataset(tmp_path)
    report = evaluate_fairness(
        images,
        vectors,
        FairnessOptions(
            attribute="group", target_fmr=0.01, replicates=200, seed=3, min_subjects=10
        ),
    )
    by_name = {g.name: g for g in report.groups}
    assert set(by_name) == {"crowded", "spread", "tiny"}
    assert by_name["tiny"].too_small and not by_name["crowded"].too_small
    for name in ("spread", "crowded"):
        mask = np.asarray(images.labels["group"]) == name
        subjects = [s for s, m in zip(images.subjects, mask, strict=True) if m]
        fmr, fnmr = _brute_rates(vectors[mask], subjects, report.threshold)
        assert by_name[name].fmr == pytest.approx(fmr)
        assert by_name[name].fnmr == pytest.approx(fnmr)
        low, high = by_name[name].fmr_ci
        assert low <= by_name[name].fmr <= high
    assert by_name["crowded"].fmr > 10 * max(by_name["spread"].fmr, 1e-9)
    summary = report.summary()
    groups = summary["groups"]
    assert isinstance(groups, dict)
    assert groups["tiny"]["too_small"] is True and "fmr" not in groups["tiny"]
    assert groups["crowded"]["impostor_pairs"] == 20 * 19 / 2 * 9
    assert groups["crowded"]["mated_pairs"] == 20 * 3
    # Every sized group stays at or under the target at the common threshold (brute force).
    common = report.threshold_for_target_fmr()
    for name in ("spread", "crowded"):
        mask = np.asarray(images.labels["group"]) == name
        subjects = [s for s, m in zip(images.subjects, mask, strict=True) if m]
        assert _brute_rates(vectors[mask], subjects, common)[0] <= 0.01
    assert common == pytest.approx(by_name["crowded"].threshold_for_target)


def test_fairness_report_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    images, vectors = _dataset(tmp_path)
    options = FairnessOptions(attribute="group", target_fmr=0.01, replicates=100, seed=5)
    first = evaluate_fairness(images, vectors, options).summary()
    second = evaluate_fairness(images, vectors, options).summary()
    assert first == second
    other = evaluate_fairness(
        images, vectors, FairnessOptions(attribute="group", target_fmr=0.01, replicates=100, seed=6)
    ).summary()
    assert other["groups"]["crowded"]["fmr_ci"] != first["groups"]["crowded"]["fmr_ci"]  # type: ignore[index]


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(1)
    errors = rng.integers(0, 3, 50).astype(float)
    pairs = np.full(50, 10.0)
    a = bootstrap_mated_rate(errors, pairs, 500, seed=9)
    assert a == bootstrap_mated_rate(errors, pairs, 500, seed=9)
    assert a != bootstrap_mated_rate(errors, pairs, 500, seed=10)
    assert a[0] < errors.sum() / pairs.sum() < a[1]
    accepted = rng.integers(0, 2, (30, 30)).astype(float)
    accepted = np.triu(accepted, 1) + np.triu(accepted, 1).T
    total = np.ones((30, 30)) - np.eye(30)
    b = bootstrap_impostor_rate(accepted, total, 300, seed=2)
    assert b == bootstrap_impostor_rate(accepted, total, 300, seed=2)
    assert b[0] < accepted.sum() / total.sum() < b[1]


def test_pair_statistics_and_accept_counts_match_brute_force() -> None:
    rng = np.random.default_rng(4)
    vectors = _unit(rng.normal(size=(40, 16)))
    subjects = np.repeat(np.arange(10), 4)
    stats = pair_statistics(vectors, subjects)
    impostor, mated = [], []
    for i, j in itertools.combinations(range(40), 2):
        (mated if subjects[i] == subjects[j] else impostor).append(float(vectors[i] @ vectors[j]))
    assert stats.impostor_pairs == len(impostor) and stats.mated_pairs == len(mated)
    assert np.sort(stats.mated_scores) == pytest.approx(np.sort(mated), abs=1e-6)
    threshold = float(np.quantile(impostor, 0.9))
    assert fmr_from_histogram(stats.impostor_histogram, threshold) == pytest.approx(
        np.mean(np.array(impostor) >= threshold), abs=2 / len(impostor)
    )
    accepted = count_accepted(vectors, subjects, threshold)
    assert accepted.sum() / 2 == np.sum(np.array(impostor) >= threshold)
    t = threshold_from_histogram(stats.impostor_histogram, 0.05)
    assert np.mean(np.array(impostor) >= t) <= 0.05
    assert np.mean(np.array(impostor) >= t - 2e-4) > 0.05 - 1 / len(impostor)


def test_a_group_without_errors_gets_an_exact_upper_bound(tmp_path: Path) -> None:
    images, vectors = _dataset(tmp_path)
    report = evaluate_fairness(
        images, vectors, FairnessOptions(attribute="group", threshold=0.9, replicates=50, seed=1)
    )
    spread = next(g for g in report.groups if g.name == "spread")
    pairs = spread.statistics.impostor_pairs
    assert spread.fmr == 0.0
    assert spread.fmr_ci == (0.0, pytest.approx(1 - 0.025 ** (1 / pairs)))
    entry = report.summary()["groups"]["spread"]  # type: ignore[index]
    assert entry["resolves_target_fmr"] is (pairs * 1e-3 >= 3)
