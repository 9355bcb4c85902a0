"""``bench cameras``: real camera processes, real models, pinned to one core."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clearsight.bench import run_cameras
from clearsight.config import ClearsightConfig, IngestConfig
from clearsight.errors import InputError
from clearsight.match import Gallery


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from clearsight.demo import build_demo_clip

    path = tmp_path_factory.mktemp("cameras") / "short.mp4"
    return build_demo_clip(path, width=640, height=360, fps=10, seconds=2.0)


@pytest.mark.slow
def test_two_cameras_on_one_core_replay_in_real_time_and_report_their_cost(
    short_clip: Path,
) -> None:
    config = ClearsightConfig(ingest=IngestConfig(max_fps=5))
    core = min(os.sched_getaffinity(0))
    figures = run_cameras(short_clip, config, Gallery.build("dlib-resnet-v1", []), 2, core)
    assert [c.camera for c in figures.cameras] == [0, 1]
    for camera in figures.cameras:
        assert camera.frames_offered == 10  # 2 s at 5 frames/s of a 10 frames/s clip
        assert 1 <= camera.frames_analysed <= camera.frames_offered
        # Paced like a camera: the replay takes about the clip's length, not less.
        assert camera.stream_s >= 1.5
        assert camera.cpu_s > 0 and camera.resident_mb > 50
        assert camera.alerts == 0  # an empty watchlist alerts on nobody
    assert 0 < figures.cores_used <= 1.05  # pinned to one core: never more than it
    assert figures.cpu == core


def test_a_core_this_machine_lacks_is_refused(short_clip: Path) -> None:
    with pytest.raises(InputError, match="--cpu 4096"):
        run_cameras(short_clip, ClearsightConfig(), Gallery.build("dlib-resnet-v1", []), 1, 4096)
