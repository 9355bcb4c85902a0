from __future__ import annotations

import numpy as np
import pytest

from clearsight.config import MatchConfig
from clearsight.match import Gallery, build_card, decide_track, load_card


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def _near(base: np.ndarray, similarity: float, rng: np.random.Generator) -> np.ndarray:
    """A unit vector with the given cosine similarity to ``base``."""
    noise = rng.normal(size=base.shape)
    noise -= noise.dot(base) * base
    noise = _unit(noise)
    return _unit(similarity * base + np.sqrt(1 - similarity**2) * noise)


@pytest.fixture()
def card():
    rng = np.random.default_rng(0)
    return build_card(
        "m",
        rng.uniform(0.0, 0.8, 100_000),
        rng.uniform(0.7, 1.0, 1000),
        source="synthetic",
        version="t",
    )


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
    decision = decide_track(
        7,
        probes,
        np.array([0.9, 0.8, 0.5]),
        _gallery(subjects),
        card,
        MatchConfig(target_fmr=1e-3, min_agreeing_samples=2),
    )
    assert decision.candidate is not None and decision.candidate.subject_name == "Bob"
    assert decision.agreeing_samples == 2 and decision.samples_used == 3
    assert decision.candidate.estimated_fmr == card.fmr_at(decision.candidate.score)


def test_one_lucky_frame_is_not_enough(card, subjects) -> None:
    rng = np.random.default_rng(4)
    probes = np.stack([_near(subjects["bob"], s, rng) for s in (0.95, 0.3, 0.2)])
    decision = decide_track(
        7, probes, np.ones(3), _gallery(subjects), card, MatchConfig(target_fmr=1e-3)
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
    decision = decide_track(
        7, probes, np.ones(4), _gallery(subjects), card, MatchConfig(target_fmr=1e-3)
    )
    assert decision.candidate is None and decision.reason == "tie between subjects"


def test_nobody_matches_strangers(card, subjects) -> None:
    rng = np.random.default_rng(6)
    probes = np.stack([_unit(rng.normal(size=128)) for _ in range(5)])
    decision = decide_track(1, probes, np.ones(5), _gallery(subjects), card, MatchConfig())
    assert decision.candidate is None and decision.agreeing_samples == 0


def test_bundled_card_loads_and_is_monotonic() -> None:
    card = load_card("dlib-resnet-v1")
    assert card.model_id == "dlib-resnet-v1"
    assert all(b <= a for a, b in zip(card.fmr, card.fmr[1:], strict=False))
    assert card.threshold_for_fmr(1e-4) > card.threshold_for_fmr(1e-2)
