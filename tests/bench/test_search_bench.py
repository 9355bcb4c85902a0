"""The synthetic gallery model and the search benchmark (figures only; nothing is timed here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearsight.bench import (
    PRESETS,
    SearchFigures,
    SearchPlan,
    fit_embedding_model,
    ivf_lists,
    load_seed,
    random_set,
    run_search_bench,
    score_profile,
    synthetic_set,
)
from clearsight.errors import InputError


def _real_like(people: int = 300, photos: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings in a narrow anisotropic cone, like dlib's: a shared mean plus a few strong
    directions between people and smaller spread within a person."""
    rng = np.random.default_rng(seed)
    scales = np.geomspace(0.08, 0.005, 128)
    mean = np.zeros(128)
    mean[0] = 1.0
    centres = mean + rng.standard_normal((people, 128)) * scales
    labels = np.repeat(np.arange(people), photos)
    vectors = centres[labels] + rng.standard_normal((len(labels), 128)) * scales * 0.3
    return vectors.astype(np.float32), labels.astype(str)


def test_fitted_model_reproduces_the_score_distributions_of_its_seed() -> None:
    vectors, labels = _real_like()
    model = fit_embedding_model(vectors, labels, "seed")
    assert "1200 embeddings of 300 people (300 with 2+)" in model.source
    data = synthetic_set(model, 4000, 100, photos_per_subject=4)
    real = score_profile(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), labels)
    made = score_profile(data.gallery, data.row_subject)
    assert made.mated_mean == pytest.approx(real.mated_mean, abs=0.01)
    assert made.impostor_mean == pytest.approx(real.impostor_mean, abs=0.01)
    assert made.impostor_std == pytest.approx(real.impostor_std, rel=0.15)


def test_synthetic_set_has_unit_templates_and_half_its_probes_enrolled() -> None:
    model = fit_embedding_model(*_real_like(), "seed")
    data = synthetic_set(model, 1001, 50, photos_per_subject=2, seed=3)
    assert data.gallery.shape == (1001, 128) and data.probes.shape == (50, 128)
    np.testing.assert_allclose(np.linalg.norm(data.gallery, axis=1), 1.0, atol=1e-5)
    assert data.row_subject.tolist()[:4] == [0, 0, 1, 1]
    enrolled = data.probe_subject >= 0
    assert int(enrolled.sum()) == 25
    # A new photo of an enrolled person is closest to that person's templates.
    nearest = (data.probes[enrolled] @ data.gallery.T).argmax(axis=1)
    assert float(np.mean(data.row_subject[nearest] == data.probe_subject[enrolled])) >= 0.9


def test_fitting_needs_people_with_several_photos() -> None:
    vectors, _ = _real_like(people=20, photos=1)
    with pytest.raises(ValueError, match="needs 10 or more people with 2\\+ embeddings; has 0"):
        fit_embedding_model(vectors, np.arange(20).astype(str), "few.npz")


def test_load_seed_names_the_file_it_cannot_use(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, vectors=np.zeros((3, 128), np.float32))
    with pytest.raises(InputError, match=r"bad\.npz: not a seed file"):
        load_seed(bad)
    good = tmp_path / "good.npz"
    np.savez(good, vectors=np.ones((2, 4), np.float32), labels=np.array(["a", "b"]))
    vectors, labels = load_seed(good)
    assert vectors.shape == (2, 4) and labels.tolist() == ["a", "b"]


def test_ivf_lists_grow_with_the_gallery_and_keep_enough_training_points() -> None:
    sizes = [1000, 10_000, 100_000, 1_000_000]
    lists = [ivf_lists(n) for n in sizes]
    assert lists == sorted(lists) and lists[-1] == 4096
    assert all(n / cells >= 39 for n, cells in zip(sizes, lists, strict=True))


def test_run_search_bench_reports_every_setting_with_exact_recall_for_exact_search() -> None:
    data = random_set(2000, 40)
    reported: list[SearchFigures] = []
    plan = SearchPlan((PRESETS["exact"], PRESETS["ivf"]), k=5, batch=16, budget_s=5.0)
    figures = run_search_bench(data, plan, reported.append)
    assert reported == figures
    assert [f.index for f in figures] == ["exact"] + [
        f"faiss:IVF{ivf_lists(2000)},Flat {s}" for s in PRESETS["ivf"].sweep
    ]
    exact = figures[0]
    assert exact.recall_at_1 == 1.0 and exact.per_probe.count == 40
    assert exact.per_batch.count == 3  # 16 + 16 + 8 probes
    assert 0 < exact.per_probe.p50 <= exact.per_probe.p99
    # nprobe equal to every cell is exhaustive: exact again.
    exhaustive = figures[-1]
    assert exhaustive.index.endswith("nprobe=128") and exhaustive.recall_at_1 == 1.0
    assert figures[1].recall_at_1 < 1.0  # 16 of 32 cells misses some random neighbours
