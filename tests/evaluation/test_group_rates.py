"""Per-group distributions for calibration cards: counts, people-level intervals, the rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearsight.config import MatchConfig
from clearsight.evaluation import (
    EmbeddedImages,
    GroupSource,
    ImageSet,
    LabelledEmbeddings,
    calibrate_card,
    every_group_threshold,
)
from clearsight.evaluation._bootstrap import bootstrap_impostor_rate
from clearsight.evaluation._groups import GroupRates, impostor_counts
from clearsight.evaluation._pairs import count_accepted
from clearsight.match import estimate_fmr, groups_above_target, operating_point


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _people(count: int, per_person: int, spread: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count, 16))
    return _unit(
        np.repeat(centres, per_person, axis=0) + spread * rng.normal(size=(count * per_person, 16))
    )


def test_counts_match_brute_force() -> None:
    vectors = _people(30, 3, 0.5, 0)
    subjects = np.repeat(np.arange(30), 3)
    grid = np.linspace(0.0, 1.0, 51)
    counts, pairs, mated = impostor_counts(vectors, subjects, grid)
    scores = vectors @ vectors.T
    different = subjects[:, None] != subjects[None, :]
    for person in (0, 7, 29):
        rows = subjects == person
        for index in (0, 20, 40):
            expected = int(((scores[rows] >= grid[index]) & different[rows]).sum())
            assert counts[person, index] == expected
    assert pairs[0] == 3 * 87 and mated.size == 30 * 3
    rates = GroupRates(counts, pairs)
    assert rates.pairs == 90 * 87 // 2
    accepted = count_accepted(vectors, subjects, float(grid[20])).sum() / 2
    assert rates.accepted[20] == accepted


def test_intervals_treat_people_not_pairs_as_independent() -> None:
    # 300 people, one image each; ten of them look like many others (a "lamb" face).
    rng = np.random.default_rng(1)
    vectors = _unit(rng.normal(size=(300, 16)))
    lamb = _unit(rng.normal(size=(1, 16)))
    vectors[:10] = _unit(lamb + 0.35 * rng.normal(size=(10, 16)))
    vectors[10:60] = _unit(vectors[10:60] + 1.2 * lamb)
    subjects = np.arange(300)
    grid = np.linspace(0.0, 1.0, 201)
    counts, pairs, _ = impostor_counts(vectors, subjects, grid)
    rates = GroupRates(counts, pairs)
    index = int(np.searchsorted(grid, 0.8))
    assert rates.accepted[index] > 20
    # False matches cluster on a few people: the interval is wider than for independent pairs.
    assert rates.design_effect[index] > 2
    # The people-level bound agrees with the subject-level bootstrap (within a factor of 2).
    accepted = count_accepted(vectors, subjects, float(grid[index]))
    all_pairs = np.ones((300, 300)) - np.eye(300)
    boot_low, boot_high = bootstrap_impostor_rate(accepted, all_pairs, 400, 0)
    width = rates.high[index] - rates.low[index]
    assert 0.5 < width / (boot_high - boot_low) < 2.0
    assert rates.low[index] < rates.rate[index] < rates.high[index]
    # Upper bounds never rise with the score, and keep a bound where nothing is seen.
    assert np.all(np.diff(rates.high) <= 0)
    assert rates.accepted[-1] == 0 and rates.high[-1] > 0


def _labelled(vectors: np.ndarray, subjects: list[str], labels: dict[str, list[str]], name: str):
    images = ImageSet(
        tuple(Path(f"{name}/{i}.jpg") for i in range(len(subjects))),
        tuple(subjects),
        {k: tuple(v) for k, v in labels.items()},
    )
    embedded = EmbeddedImages(images.paths, vectors, ("hog",) * len(subjects), {})
    return LabelledEmbeddings(images, embedded, name, "", name)


def test_calibrated_card_groups_set_the_threshold_and_the_estimates() -> None:
    # "LFW": 200 people, 4 images each, labelled by sex; a balanced set: 400 people, one image
    # each, where group "tight" has faces much closer together (more false matches).
    lfw_vectors = _people(200, 4, 0.45, 2)
    lfw = _labelled(
        lfw_vectors,
        [f"p{i // 4}" for i in range(800)],
        {"sex": ["female" if i // 4 % 2 else "male" for i in range(800)], "race": [""] * 800},
        "LFW",
    )
    rng = np.random.default_rng(3)
    loose = _unit(rng.normal(size=(200, 16)))
    tight = _unit(rng.normal(size=(1, 16)) * 1.6 + rng.normal(size=(200, 16)))
    balanced = _labelled(
        np.concatenate([loose, tight]),
        [f"b{i}" for i in range(400)],
        {"kind": ["loose"] * 200 + ["tight"] * 200},
        "balanced",
    )
    card, handling = calibrate_card(
        lfw, [GroupSource(balanced, "kind", "balanced")], "m", "2.0", 20, 0, "test recipe"
    )
    assert {g.name for g in card.groups} == {
        "female (LFW)", "male (LFW)", "loose (balanced)", "tight (balanced)"
    }  # fmt: skip
    tight_group = next(g for g in card.groups if g.group == "tight")
    assert tight_group.subjects == 200 and tight_group.impostor_comparisons == 200 * 199 // 2
    assert tight_group.fnmr is None  # one image per person: no mated pairs
    female = next(g for g in card.groups if g.group == "female")
    assert female.fnmr is not None and female.mated_comparisons == 100 * 6
    assert handling and "test recipe" in card.source
    config = MatchConfig(target_fmr=1e-2)
    every = operating_point(card, config)
    pooled = operating_point(card, MatchConfig(target_fmr=1e-2, rule="pooled"))
    assert every.threshold > pooled.threshold
    assert "tight (balanced)" in {r.name for r in groups_above_target(card, pooled)}
    assert groups_above_target(card, every) == []
    # An alert's estimate is the tight group's, far above the pooled LFW one.
    score = every.threshold
    estimate = estimate_fmr(card, every, score)
    assert estimate.group == "tight (balanced)"
    assert estimate.fmr > estimate.pooled_fmr
    # The same rule on the balanced data alone (eval fairness's side-by-side threshold).
    own, small = every_group_threshold(
        balanced.images, balanced.embedded.vectors, "kind", 1e-2, 10, 10, 0
    )
    assert small == () and own == pytest.approx(every.threshold, abs=0.01)
