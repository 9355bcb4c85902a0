"""``bench quality`` on a handful of real LFW faces: shrinking and blurring a probe, finding
it again, and counting its mated and impostor pairs at one threshold (skips without LFW)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearsight.bench import (
    BLUR_SERIES,
    Degradation,
    degrade,
    lfw_protocol_images,
    load_probes,
    pooled_threshold,
    probe_rows,
    run_quality,
)
from clearsight.config import ClearsightConfig
from clearsight.evaluation import embed_with_config
from clearsight.pipeline import create_models

pytestmark = pytest.mark.slow

GALLERY = 24  # the first images pairs.txt names, sorted by person


@pytest.fixture(scope="module")
def lfw_dir(datasets_dir: Path) -> Path:
    path = datasets_dir / "lfw"
    if not (path / "pairs.txt").is_file():
        pytest.skip(f"LFW not found at {path} (set CLEARSIGHT_DATASETS to ../shared/datasets)")
    return path


def test_degrade_shrinks_the_face_to_the_width_asked_for_and_blurs_it() -> None:
    image = np.random.default_rng(0).integers(0, 256, (250, 200, 3), dtype=np.uint8)
    small, scale = degrade(image, 100.0, Degradation(40))
    assert scale == pytest.approx(0.4) and small.shape == (100, 80, 3)
    blurred, _ = degrade(image, 100.0, Degradation(40, 2.0))
    assert blurred.shape == small.shape and blurred.std() < small.std()


def test_small_and_blurred_faces_are_counted_against_the_full_size_gallery(
    lfw_dir: Path, tmp_path: Path
) -> None:
    config = ClearsightConfig()
    models = create_models(config)
    paths, subjects = lfw_protocol_images(lfw_dir, GALLERY)
    gallery = embed_with_config(
        paths, config, models.model_id, tmp_path / "cache", workers=1, progress=False
    )
    rows = probe_rows(subjects, gallery.usable, 3)
    assert len(rows) == 3 and len(set(subjects[rows].tolist())) >= 2
    probes = load_probes(paths, rows, models.detector)
    assert [probe.row for probe in probes] == rows
    sharp, blurred = Degradation(80), BLUR_SERIES[4]  # 48 px, sigma 3
    figures = run_quality(
        probes,
        gallery.vectors,
        subjects,
        [sharp, blurred],
        models.detector,
        models.embedder,
        pooled_threshold(models.card, config.match),
    )
    assert [row.degradation for row in figures] == [sharp, blurred]
    # Each found probe meets its person's other images (never its own) and everyone else.
    usable = gallery.usable
    others = [int((usable & (subjects == subjects[r])).sum()) - 1 for r in rows]
    strangers = [int((usable & (subjects != subjects[r])).sum()) for r in rows]
    full = figures[0]
    assert full.found == full.probes == 3
    assert (full.mated_pairs, full.impostor_pairs) == (sum(others), sum(strangers))
    assert full.true_match_rate >= 2 / 3 and full.false_matches == 0
    # Blur lowers the chips' sharpness and never raises the true match rate.
    assert figures[1].sharpness_p50 < full.sharpness_p10
    assert figures[1].true_match_rate <= full.true_match_rate


def test_the_command_prints_both_tables(
    lfw_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from clearsight.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "bench", "quality", str(lfw_dir), "--gallery-images", str(GALLERY),
                "--images", "2", "--blur-images", "2", "--cache", str(tmp_path), "--workers", "1",
            ]
        )  # fmt: skip
    out = capsys.readouterr().out
    assert exit_info.value.code == 0, out
    assert "pooled threshold 0.4" in out
    assert "2 probe images, size" in out and "2 probe images, blur" in out
    for label in ("20 px", "80 px", "48 px, s 3.0", "64 px, s 2.0"):
        assert label in out
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "quality", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "not an LFW folder" in capsys.readouterr().err
