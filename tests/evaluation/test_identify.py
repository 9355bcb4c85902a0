"""Open-set identification on synthetic templates with known structure."""

from __future__ import annotations

import numpy as np

from clearsight.evaluation import IdentifyOptions, evaluate_identification


def _templates(noise: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    subjects, vectors = [], []
    for s in range(400):
        count = 3 if s < 150 else 1  # 150 mate-able people, 250 with one photo
        base = rng.normal(size=64)
        for _ in range(count):
            subjects.append(s)
            vectors.append(base + noise * rng.normal(size=64))
    v = np.asarray(vectors)
    return np.asarray(subjects), (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_clean_templates_identify_perfectly() -> None:
    subjects, vectors = _templates(noise=0.1)
    results = evaluate_identification(subjects, vectors, IdentifyOptions(gallery_sizes=(50, 0)))
    full = results[-1]
    assert full.gallery_size == 150 + 125  # mate-able people plus half the singletons
    assert full.non_mated_probes == 125
    assert full.mated_probes == 300
    assert full.rank1 == 1.0
    assert all(v == 0.0 for v in full.fnir_at_fpir.values())
    assert results[0].gallery_size == 50 and results[0].mated_probes < 300


def test_noisy_templates_miss_more_as_the_gallery_grows() -> None:
    subjects, vectors = _templates(noise=1.2)
    results = evaluate_identification(subjects, vectors, IdentifyOptions(gallery_sizes=(20, 0)))
    assert results[-1].rank1 < 1.0
    assert results[-1].fnir_at_fpir["0.001"] >= results[-1].fnir_at_fpir["0.01"]
    assert results[-1].rank1 <= results[0].rank1
    again = evaluate_identification(subjects, vectors, IdentifyOptions(gallery_sizes=(20, 0)))
    assert again == results  # seeded
