from __future__ import annotations

import numpy as np
import pytest
from tests.card_groups import group_on_grid

from clearsight.config import MatchConfig
from clearsight.errors import ConfigError
from clearsight.match import (
    Gallery,
    GroupDistribution,
    build_card,
    decide_track,
    estimate_fmr,
    groups_above_target,
    load_card,
    operating_point,
)


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def _near(base: np.ndarray, similarity: float, rng: np.random.Generator) -> np.ndarray:
    """A unit vector with the given cosine similarity to ``base``."""
    noise = rng.normal(size=base.shape)
    noise -= noise.dot(base) * base
    noise = _unit(noise)
    return _unit(similarity * base + np.sqrt(1 - similarity**2) * noise)


def _card(with_groups: bool = True):
    rng = np.random.default_rng(0)
    easy, hard = rng.uniform(0.0, 0.8, 100_000), rng.uniform(0.0, 0.9, 100_000)
    tiny = rng.uniform(0.0, 0.99, 50)

    def groups(grid: list[float]) -> list[GroupDistribution]:
        return [
            group_on_grid("easy", easy, 500)(grid),
            group_on_grid("hard", hard, 500)(grid),
            group_on_grid("tiny", tiny, 5)(grid),
        ]

    return build_card(
        "m",
        rng.uniform(0.0, 0.8, 100_000),
        rng.uniform(0.7, 1.0, 1000),
        source="synthetic",
        version="t",
        groups=groups if with_groups else None,
    )


@pytest.fixture()
def card():
    return _card()


def _point(card, **match):
    return operating_point(card, MatchConfig(**match))


@pytest.fixture()
def subjects() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {name: _unit(rng.normal(size=128)) for name in ("alice", "bob", "carol")}


def test_card_threshold_and_estimates_are_consistent(card) -> None:
    threshold = card.threshold_for_fmr(1e-3)
    assert 0.79 < threshold < 0.81  # uniform impostors on [0, 0.8]: 0.1% above 0.7992
    assert card.fmr_at(threshold) <= 1.5e-3
    assert card.fmr_at(0.4) == pytest.approx(0.5, rel=0.05)
    assert card.fmr_at(0.95) == card.min_fmr  # never claims more than the data resolves
    assert card.threshold_for_fmr(1e-9) == card.thresholds[-1]


def test_gallery_best_score_per_subject(subjects) -> None:
    rng = np.random.default_rng(2)
    extra_alice = _near(subjects["alice"], 0.5, rng)
    gallery = Gallery.build(
        "m",
        [
            ("a", "alice", extra_alice),
            ("b", "bob", subjects["bob"]),
            ("a", "alice", subjects["alice"]),
        ],
    )
    assert gallery.subject_ids == ("a", "b") and gallery.template_count == 3
    scores = gallery.subject_scores(subjects["alice"][None])
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)  # its best photo, not the first


def _gallery(subjects) -> Gallery:
    return Gallery.build("m", [(n, n.title(), v) for n, v in subjects.items()])


def test_track_matches_when_enough_samples_agree(card, subjects) -> None:
    rng = np.random.default_rng(3)
    probes = np.stack([_near(subjects["bob"], s, rng) for s in (0.95, 0.9, 0.6)])
    config = MatchConfig(target_fmr=1e-3, min_agreeing_samples=2)
    point = operating_point(card, config)
    decision = decide_track(
        7, probes, np.array([0.9, 0.8, 0.5]), _gallery(subjects), card, point, config
    )
    assert decision.candidate is not None and decision.candidate.subject_name == "Bob"
    assert decision.agreeing_samples == 2 and decision.samples_used == 3
    estimate = decision.candidate.estimate
    assert estimate == estimate_fmr(card, point, decision.candidate.score)
    assert decision.candidate.estimated_fmr == estimate.fmr


def test_every_group_rule_is_set_by_the_worst_group_with_enough_data(card) -> None:
    every = _point(card, target_fmr=1e-3)
    pooled = _point(card, target_fmr=1e-3, rule="pooled")
    assert pooled.threshold == card.threshold_for_fmr(1e-3)
    assert 0.79 < pooled.threshold < 0.81
    # "hard" impostors reach 0.9: its 95% upper bound at 1e-3 needs about 0.9 - 0.0006.
    assert 0.895 < every.threshold <= 0.9 + 0.003
    hard = next(g for g in card.groups if g.group == "hard")
    index = card.grid_index(every.threshold)
    assert hard.fmr_high[index] <= 1e-3 < hard.fmr_high[index - 1]
    assert every.rule == "every-group" and every.groups == ("easy (synthetic)", "hard (synthetic)")
    # Five people cannot show 1e-3: named, never allowed to set (or block) the threshold.
    assert every.groups_too_small == ("tiny (synthetic)",)
    assert (every.model_id, every.card_version, every.target_fmr) == ("m", "t", 1e-3)


def test_pooled_rule_names_the_groups_it_leaves_above_target(card) -> None:
    pooled = _point(card, target_fmr=1e-3, rule="pooled")
    above = groups_above_target(card, pooled)
    assert [r.group for r in above] == ["hard"]
    assert above[0].fmr > 0.05  # about 1/9 of "hard" impostors score above 0.8
    assert groups_above_target(card, _point(card, target_fmr=1e-3)) == []


def test_an_alerts_estimate_is_the_worst_groups_not_the_pooled_one(card) -> None:
    point = _point(card, target_fmr=1e-3)
    score = 0.85
    estimate = estimate_fmr(card, point, score)
    index = card.grid_index(score)
    hard = next(g for g in card.groups if g.group == "hard")
    assert estimate.group == "hard (synthetic)"
    assert estimate.fmr == hard.fmr(index) == pytest.approx(0.05 / 0.9, rel=0.1)
    assert (estimate.low, estimate.high) == (hard.fmr_low[index], hard.fmr_high[index])
    assert estimate.low < estimate.fmr < estimate.high
    assert estimate.pooled_fmr == card.fmr_at(score) < estimate.fmr / 100
    # The tiny group (too small to judge) is never the one reported, though its rate is higher.
    tiny = next(g for g in card.groups if g.group == "tiny")
    assert tiny.fmr(index) > estimate.fmr


def test_every_group_rule_refuses_a_card_without_groups() -> None:
    bare = _card(with_groups=False)
    with pytest.raises(ConfigError, match="no group with enough data"):
        _point(bare)
    assert _point(bare, rule="pooled").groups == ()


def test_one_lucky_frame_is_not_enough(card, subjects) -> None:
    rng = np.random.default_rng(4)
    probes = np.stack([_near(subjects["bob"], s, rng) for s in (0.95, 0.3, 0.2)])
    config = MatchConfig(target_fmr=1e-3)
    decision = decide_track(
        7, probes, np.ones(3), _gallery(subjects), card, operating_point(card, config), config
    )
    assert decision.candidate is None and "only 1 of 3" in decision.reason


def test_tie_between_subjects_is_rejected(card, subjects) -> None:
    rng = np.random.default_rng(5)
    probes = np.stack(
        [
            _near(subjects["bob"], 0.95, rng),
            _near(subjects["bob"], 0.95, rng),
            _near(subjects["carol"], 0.95, rng),
            _near(subjects["carol"], 0.95, rng),
        ]
    )
    config = MatchConfig(target_fmr=1e-3)
    decision = decide_track(
        7, probes, np.ones(4), _gallery(subjects), card, operating_point(card, config), config
    )
    assert decision.candidate is None and decision.reason == "tie between subjects"


def test_nobody_matches_strangers(card, subjects) -> None:
    rng = np.random.default_rng(6)
    probes = np.stack([_unit(rng.normal(size=128)) for _ in range(5)])
    config = MatchConfig()
    point = operating_point(card, config)
    decision = decide_track(1, probes, np.ones(5), _gallery(subjects), card, point, config)
    assert decision.candidate is None and decision.agreeing_samples == 0


def test_bundled_card_loads_and_is_monotonic() -> None:
    card = load_card("dlib-resnet-v1")
    assert card.model_id == "dlib-resnet-v1"
    assert all(b <= a for a, b in zip(card.fmr, card.fmr[1:], strict=False))
    assert card.threshold_for_fmr(1e-4) > card.threshold_for_fmr(1e-2)
    for group in card.groups:
        assert all(b <= a for a, b in zip(group.fmr_high, group.fmr_high[1:], strict=False))
    # The shipped default point keeps every judged group's upper bound at the target.
    point = operating_point(card, MatchConfig())
    assert point.rule == "every-group" and point.groups
    assert groups_above_target(card, point) == []


def test_a_stricter_target_never_lowers_the_every_group_threshold(card) -> None:
    # At 1e-5 no group's 100,000 pairs can show the rate, so none is judged and the point
    # refuses; at 1e-4 and 1e-3 "hard" is judged, and the stricter target is never lower.
    thresholds = [_point(card, target_fmr=t).threshold for t in (1e-2, 1e-3, 1e-4)]
    assert thresholds == sorted(thresholds)
    with pytest.raises(ConfigError, match="no group with enough data"):
        _point(card, target_fmr=1e-6)
