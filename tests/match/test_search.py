"""Gallery search backends: exact search is the reference; indexes agree with it on face-like
(clustered) data; AutoSearch swaps snapshots without ever serving a torn gallery."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from clearsight.config import MatchConfig
from clearsight.match import (
    AutoSearch,
    ExactSearch,
    FaissSearch,
    Gallery,
    IndexSpec,
    build_card,
    decide_track,
    operating_point,
)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _clustered(
    people: int, photos: int, seed: int = 0, noise_seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Face-like templates: tight clusters of ``photos`` per person, people spread apart.

    The same ``seed`` gives the same people; ``noise_seed`` draws other photos of them.
    """
    centres = np.random.default_rng(seed).standard_normal((people, 128))
    labels = np.repeat(np.arange(people), photos)
    noise = np.random.default_rng(seed if noise_seed is None else noise_seed)
    return _unit(centres[labels] + 0.35 * noise.standard_normal((len(labels), 128))), labels


def _gallery(vectors: np.ndarray, labels: np.ndarray) -> Gallery:
    return Gallery.build(
        "test-model",
        [(f"s{label}", f"Subject {label}", v) for v, label in zip(vectors, labels, strict=True)],
    )


def test_exact_search_matches_a_full_sort_across_blocks() -> None:
    rng = np.random.default_rng(1)
    templates = _unit(rng.standard_normal((1000, 128)))
    probes = _unit(rng.standard_normal((7, 128)))
    hits = ExactSearch(templates, block_rows=97).search(probes, 5)
    expected = np.argsort(-(probes @ templates.T), axis=1)[:, :5]
    np.testing.assert_array_equal(hits.rows, expected)
    np.testing.assert_allclose(
        hits.scores, np.take_along_axis(probes @ templates.T, expected, 1), atol=1e-6
    )
    assert bool(np.all(np.diff(hits.scores, axis=1) <= 0))


def test_exact_search_pads_when_k_exceeds_the_gallery_and_accepts_one_probe() -> None:
    templates = _unit(np.eye(3, 128))
    hits = ExactSearch(templates).search(templates[1], 5)
    assert hits.rows.shape == (1, 5)
    assert hits.rows[0, 0] == 1
    assert list(hits.rows[0, 3:]) == [-1, -1]
    assert bool(np.all(np.isneginf(hits.scores[0, 3:])))


def test_search_refuses_probes_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match=r"probes must be \(count, 128\)"):
        ExactSearch(_unit(np.ones((4, 128)))).search(np.ones((2, 64), np.float32), 1)


@pytest.mark.parametrize(
    ("factory", "params"),
    [
        ("HNSW32,Flat", "efSearch=128"),
        ("IVF16,Flat", "nprobe=4"),
        ("IVF16,PQ32x4fs,RFlat", "nprobe=4,k_factor_rf=8"),
    ],
)
def test_faiss_indexes_find_exact_top_one_on_clustered_templates(factory: str, params: str) -> None:
    templates, labels = _clustered(400, 3)
    probes, probe_labels = _clustered(400, 1, seed=0, noise_seed=9)  # new photos of them
    index = FaissSearch(templates, factory, params)
    exact = ExactSearch(templates).search(probes, 1)
    found = index.search(probes, 3)
    same = found.rows[:, 0] == exact.rows[:, 0]
    assert index.size == 1200 and index.kind == f"faiss:{factory} {params}"
    assert float(same.mean()) >= 0.98
    # Where the index found the exact top template it reports the exact score (refined PQ too).
    np.testing.assert_allclose(found.scores[same, 0], exact.scores[same, 0], atol=1e-4)
    assert bool(np.all(found.scores[~same, 0] <= exact.scores[~same, 0] + 1e-6))
    assert float(np.mean(labels[found.rows[:, 0]] == probe_labels)) >= 0.98


def test_faiss_search_rejects_unknown_factories_and_parameters() -> None:
    templates, _ = _clustered(50, 2)
    with pytest.raises(ValueError, match="cannot build index"):
        FaissSearch(templates, "NoSuchIndex9", "")
    with pytest.raises(ValueError, match="rejects 'nprobe=4'"):
        FaissSearch(templates, "HNSW8,Flat", "nprobe=4")


def test_faiss_search_pads_missing_neighbours() -> None:
    templates, _ = _clustered(2, 2)
    hits = FaissSearch(templates, "HNSW8,Flat", "efSearch=16").search(templates[:1], 6)
    assert list(hits.rows[0, 4:]) == [-1, -1]
    assert bool(np.all(np.isneginf(hits.scores[0, 4:])))


def test_gallery_with_an_index_ranks_subjects_like_exact_search() -> None:
    templates, labels = _clustered(300, 3, seed=4)
    gallery = _gallery(templates, labels)
    indexed = gallery.with_search(FaissSearch(gallery.templates, "HNSW32,Flat", "efSearch=256"))
    probes, _ = _clustered(300, 1, seed=4, noise_seed=5)
    exact_top = gallery.top_subjects(probes, 3)
    index_top = indexed.top_subjects(probes, 3)
    np.testing.assert_array_equal(index_top.subjects[:, 0], exact_top.subjects[:, 0])
    np.testing.assert_allclose(index_top.scores[:, 0], exact_top.scores[:, 0], atol=1e-4)
    dense = indexed.subject_scores(probes)
    assert dense.shape == (len(probes), len(gallery))
    np.testing.assert_array_equal(
        dense.argmax(axis=1), gallery.subject_scores(probes).argmax(axis=1)
    )
    # Subjects beyond the nearest templates score -1, below any threshold.
    assert float(dense.min()) == -1.0


def test_top_subjects_dedupes_photos_of_one_subject() -> None:
    templates, labels = _clustered(20, 5, seed=2)
    gallery = _gallery(templates, labels).with_search(
        FaissSearch(_gallery(templates, labels).templates, "IVF4,Flat", "nprobe=4")
    )
    top = gallery.top_subjects(templates[:2], 4)
    for row in top.subjects:
        assert len(set(row.tolist())) == 4


def test_with_search_refuses_an_index_of_another_gallery() -> None:
    templates, labels = _clustered(10, 2)
    with pytest.raises(ValueError, match="search holds 5 templates, the gallery 20"):
        _gallery(templates, labels).with_search(ExactSearch(templates[:5]))


def test_decide_track_agrees_with_and_without_an_index() -> None:
    templates, labels = _clustered(200, 2, seed=3)
    gallery = _gallery(templates, labels)
    indexed = gallery.with_search(FaissSearch(gallery.templates, "HNSW16,Flat", "efSearch=128"))
    rng = np.random.default_rng(8)
    card = build_card(
        "test-model", rng.uniform(-0.2, 0.5, 5000), rng.uniform(0.6, 1.0, 500), "synthetic", "t"
    )
    track = _unit(np.repeat(templates[10:11], 4, axis=0) + 0.01 * rng.standard_normal((4, 128)))
    config = MatchConfig(target_fmr=1e-3, rule="pooled")  # the card has no groups
    point = operating_point(card, config)
    exact = decide_track(1, track, np.ones(4, np.float32), gallery, card, point, config)
    approx = decide_track(1, track, np.ones(4, np.float32), indexed, card, point, config)
    assert exact.candidate is not None and approx.candidate is not None
    assert exact.candidate.subject_id == approx.candidate.subject_id == f"s{labels[10]}"
    assert approx.candidate.score == pytest.approx(exact.candidate.score, abs=1e-5)


def test_auto_search_serves_small_galleries_exactly_and_large_ones_through_an_index() -> None:
    templates, labels = _clustered(100, 2)
    auto = AutoSearch(crossover=150, index=IndexSpec("HNSW16,Flat", "efSearch=64"))
    with pytest.raises(RuntimeError, match="no gallery yet"):
        auto.current()
    small = _gallery(templates[:100], labels[:100])
    auto.update(small)
    assert auto.current().search is not None and auto.current().search.kind == "exact"
    large = _gallery(templates, labels)
    auto.update(large)
    # Served at once, exactly, while the index builds.
    assert auto.current().template_count == 200
    assert auto.wait(timeout=60)
    assert auto.current().search.kind == "faiss:HNSW16,Flat efSearch=64"
    assert auto.current().subject_ids == large.subject_ids


def test_auto_search_keeps_only_the_newest_watchlist_and_never_serves_a_torn_snapshot() -> None:
    galleries = [_gallery(*_clustered(150 + 10 * i, 2, seed=i)) for i in range(5)]
    auto = AutoSearch(crossover=100, index=IndexSpec("HNSW16,Flat", "efSearch=32"))
    auto.update(galleries[0])
    stop = threading.Event()
    problems: list[str] = []

    def match_continuously() -> None:
        probe = galleries[0].templates[:2]
        while not stop.is_set():
            snapshot = auto.current()
            scores = snapshot.subject_scores(probe)
            if (
                scores.shape != (2, len(snapshot))
                or snapshot.search.size != snapshot.template_count
            ):
                problems.append(f"torn snapshot: {scores.shape} vs {len(snapshot)} subjects")

    reader = threading.Thread(target=match_continuously)
    reader.start()
    for gallery in galleries[1:]:
        auto.update(gallery)
    assert auto.wait(timeout=120)
    stop.set()
    reader.join()
    assert problems == []
    assert auto.current().subject_ids == galleries[-1].subject_ids
    assert auto.current().search.kind.startswith("faiss:")


def test_auto_search_falls_back_to_exact_when_the_index_cannot_be_built() -> None:
    templates, labels = _clustered(30, 2)
    auto = AutoSearch(crossover=10, index=IndexSpec("IVF4096,Flat", ""))  # more cells than points
    auto.update(_gallery(templates, labels))
    assert auto.wait(timeout=60)
    assert auto.current().search.kind == "exact"
    assert auto.last_error is not None


def test_auto_search_hands_each_new_snapshot_to_its_consumer() -> None:
    received: list[str] = []
    auto = AutoSearch(crossover=150, index=IndexSpec("HNSW16,Flat", "efSearch=32"),
                      on_swap=lambda gallery: received.append(gallery.search.kind))  # fmt: skip
    templates, labels = _clustered(100, 2)
    auto.update(_gallery(templates, labels))
    assert auto.wait(timeout=60)
    assert received == ["exact", "faiss:HNSW16,Flat efSearch=32"]
