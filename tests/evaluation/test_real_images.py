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


@pytest.mark.slow
def test_eval_lfw_embeds_with_the_configured_models(
    lfw_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from clearsight.cli import main

    people = {"Aaron_Peirsol": (1, 2, 3, 4), "Abdullah_Gul": (1, 2, 3, 4)}
    for name, numbers in people.items():
        (tmp_path / "images" / name).mkdir(parents=True)
        for n in numbers:
            file = f"{name}_{n:04d}.jpg"
            shutil.copy(lfw_dir / "images" / name / file, tmp_path / "images" / name / file)
    # Two folds, each one mated and one impostor pair.
    (tmp_path / "pairs.txt").write_text(
        "2 1\nAaron_Peirsol 1 2\nAaron_Peirsol 1 Abdullah_Gul 1\n"
        "Abdullah_Gul 3 4\nAaron_Peirsol 3 Abdullah_Gul 4\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    for config_text, expected in (
        (None, "yunet + sface-2021dec, as the pipeline embeds"),
        ('[detector]\ntype = "hog"\n[embed]\ntype = "dlib"\n', "dlib evaluation recipe"),
    ):
        args = ["eval", "lfw", str(tmp_path), "--cache", str(cache), "--workers", "1"]
        if config_text is not None:
            (tmp_path / "c.toml").write_text(config_text, encoding="utf-8")
            args += ["--config", str(tmp_path / "c.toml")]
        with pytest.raises(SystemExit) as ended:
            main(args)
        assert ended.value.code == 0
        out = capsys.readouterr().out
        assert expected in out
        assert "accuracy 100.00%" in out  # two easy folds
