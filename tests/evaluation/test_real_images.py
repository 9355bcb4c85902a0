"""A handful of real LFW images through detection, alignment and the ResNet (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearsight.evaluation import ExtractOptions, embed_images, lfw_labelled_images

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lfw_dir(datasets_dir: Path) -> Path:
    path = datasets_dir / "lfw"
    if not (path / "pairs.txt").is_file():
        pytest.skip(f"LFW not found at {path} (set CLEARSIGHT_DATASETS to ../shared/datasets)")
    return path


def test_real_images_embed_and_the_cache_reuses_them(lfw_dir: Path, tmp_path: Path) -> None:
    people = ["Aaron_Peirsol", "Abdullah_Gul"]
    paths = [lfw_dir / "images" / p / f"{p}_{i:04d}.jpg" for p in people for i in (1, 2)]
    options = ExtractOptions(cache_dir=tmp_path, workers=1, progress=False)
    first = embed_images(paths, options)
    assert first.usable.all()
    assert np.allclose(np.linalg.norm(first.vectors, axis=1), 1.0, atol=1e-5)
    scores = first.vectors @ first.vectors.T
    same = [scores[0, 1], scores[2, 3]]
    different = [scores[0, 2], scores[0, 3], scores[1, 2], scores[1, 3]]
    assert min(same) > max(different)
    again = embed_images(paths, options)  # from the cache, identical
    assert np.array_equal(again.vectors, first.vectors)
    assert again.methods == first.methods


def test_lfw_label_files_parse(lfw_dir: Path) -> None:
    images, notes = lfw_labelled_images(lfw_dir)
    assert len(images) == 13233
    sexes = set(images.labels["sex"])
    assert {"male", "female"} <= sexes
    assert notes.race_people > 800
