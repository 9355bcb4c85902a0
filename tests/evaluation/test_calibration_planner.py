"""Calibration cards from score statistics (round trip through JSON) and the planner's math."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from tests.card_groups import groups_of

from clearsight.config import MatchConfig
from clearsight.evaluation import (
    card_from_statistics,
    fpir_for_watchlist,
    pair_statistics,
    plan_operating_point,
    required_fmr,
    write_json,
)
from clearsight.match import CalibrationCard, load_card, operating_point


def _card() -> tuple[CalibrationCard, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(300, 32))
    vectors = np.repeat(centres, 3, axis=0) + 0.6 * rng.normal(size=(900, 32))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    subjects = np.repeat(np.arange(300), 3)
    stats = pair_statistics(vectors, subjects)
    impostor = [
        float(vectors[i] @ vectors[j])
        for i in range(900)
        for j in range(i + 1, 900)
        if subjects[i] != subjects[j]
    ]
    card = card_from_statistics("test-model", stats, "synthetic", "9.9", "notes here")
    return card, np.asarray(impostor)


def test_card_rates_match_the_scores_and_survive_a_json_round_trip(tmp_path: Path) -> None:
    card, impostor = _card()
    assert card.impostor_comparisons == impostor.size
    for target in (1e-1, 1e-2, 1e-3, 1e-4):
        threshold = card.threshold_for_fmr(target)
        measured = np.mean(impostor >= threshold)
        assert measured <= target + 1e-12
        assert card.fmr_at(threshold) == pytest.approx(measured, rel=0.05, abs=1 / impostor.size)
    # The tail is resolved: successive targets give distinct thresholds.
    strict, middle, loose = (card.threshold_for_fmr(t) for t in (1e-4, 1e-3, 1e-2))
    assert strict > middle > loose
    write_json(tmp_path / "card.json", card.model_dump(mode="json"))
    loaded = load_card("test-model", tmp_path / "card.json")
    assert loaded == card
    assert loaded.fmr_at(0.5) == card.fmr_at(0.5)


def test_shipped_card_loads_and_is_monotone() -> None:
    card = load_card("dlib-resnet-v1")
    assert card.model_id == "dlib-resnet-v1"
    assert all(b <= a for a, b in zip(card.fmr, card.fmr[1:], strict=False))
    assert card.threshold_for_fmr(1e-4) >= card.threshold_for_fmr(1e-2)


def test_fpir_formula_and_its_inverse() -> None:
    assert fpir_for_watchlist(0.01, 1) == pytest.approx(0.01)
    assert fpir_for_watchlist(0.01, 2) == pytest.approx(1 - 0.99**2)
    # Stable for tiny rates: N * FMR when small.
    assert fpir_for_watchlist(1e-12, 1000) == pytest.approx(1e-9, rel=1e-6)
    assert fpir_for_watchlist(1e-3, 0) == 0.0
    fmr = required_fmr(false_alerts_per_day=5, faces_per_day=10_000, watchlist_size=200)
    assert 10_000 * fpir_for_watchlist(fmr, 200) == pytest.approx(5)


def test_plan_uses_the_point_and_gives_every_groups_false_alerts() -> None:
    card, _ = _card()
    groups = groups_of(
        ("calm", np.linspace(-0.5, 0.5, 20_000), 300), ("busy", np.linspace(-0.5, 0.7, 20_000), 300)
    )(card.thresholds)
    card = card.model_copy(update={"groups": groups})
    point = operating_point(card, MatchConfig(target_fmr=1e-3, rule="pooled"))
    plan = plan_operating_point(card, point, watchlist_size=500, faces_per_day=40_000)
    assert plan.threshold == card.threshold_for_fmr(1e-3) == point.threshold
    assert plan.estimated_fmr == card.fmr_at(plan.threshold) <= 1e-3
    assert plan.false_alerts_per_day == pytest.approx(
        40_000 * (1 - (1 - plan.estimated_fmr) ** 500)
    )
    assert plan.miss_rate == card.fnmr_at(plan.threshold)
    assert not plan.beyond_measured
    by_name = {g.name: g for g in plan.groups}
    busy = by_name["busy (synthetic)"]
    assert busy.false_alerts_per_day == pytest.approx(40_000 * fpir_for_watchlist(busy.fmr, 500))
    assert busy.false_alerts_per_day > by_name["calm (synthetic)"].false_alerts_per_day
    # The pooled rule leaves "busy" above target, and the plan says so in words.
    assert [g.name for g in plan.above_target] == ["busy (synthetic)"]
    assert "busy (synthetic)" in plan.warning() and "x target" in plan.warning()
    assert plan.summary()["warning"] == plan.warning()
    every = operating_point(card, MatchConfig(target_fmr=1e-3))
    fair = plan_operating_point(card, every, 500, 40_000)
    assert fair.threshold > plan.threshold and fair.above_target == () and fair.warning() == ""
    assert all(g.fmr_high <= 1e-3 for g in fair.groups if g.judged)
    tiny = plan_operating_point(
        card, operating_point(card, MatchConfig(target_fmr=1e-9, rule="pooled")), 500, 40_000
    )
    assert tiny.beyond_measured and tiny.estimated_fmr == 1e-9
    with pytest.raises(ValueError):
        plan_operating_point(card, point, 0, 40_000)
    assert math.isfinite(plan.fpir)
