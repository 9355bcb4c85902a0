"""The command line as a user meets it: real files, real models, exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from clearsight.config import ClearsightConfig, load_config
from clearsight.pipeline import create_models

pytestmark = pytest.mark.slow


def clearsight(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from clearsight.cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=240,
    )


def _save(path: Path, pixels: np.ndarray) -> Path:
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    astronaut = data.astronaut()
    side_by_side = np.concatenate([astronaut, astronaut[:, ::-1]], axis=1)
    return {
        "astronaut": _save(folder / "astronaut.png", astronaut),
        "crop_a": _save(folder / "crop_a.png", astronaut[0:330, 60:400]),
        "crop_b": _save(folder / "crop_b.jpg", np.ascontiguousarray(astronaut[20:420, 100:460])),
        "no_face": _save(folder / "wall.png", np.full((300, 300, 3), 128, np.uint8)),
        "two_faces": _save(folder / "two.png", np.ascontiguousarray(side_by_side)),
        "tiny": _save(
            folder / "tiny.png", cv2.resize(astronaut, (250, 250), interpolation=cv2.INTER_AREA)
        ),
        # Sharpness 4 on the SFace chip, under the minimum of 6 (sigma 2 gives 16.5).
        "blurred": _save(folder / "blurred.png", cv2.GaussianBlur(astronaut, (0, 0), 4)),
    }


def _one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    ("photo", "reason"),
    [
        ("no_face", "no face found"),
        ("two_faces", "faces found; a reference photo must show exactly one"),
        ("tiny", "under 60 px"),
        ("blurred", "blurred"),
    ],
)
def test_enrol_refuses_unusable_photos(
    photos: dict[str, Path], tmp_path: Path, photo: str, reason: str
) -> None:
    result = clearsight("enroll", "X", photos[photo], "--watchlist", tmp_path / "w.db")
    _one_line_error(result, photos[photo].name, reason)


def test_corrupt_and_bomb_images_are_one_line_errors(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    _one_line_error(clearsight("detect", corrupt), "corrupt.jpg")
    bomb = tmp_path / "bomb.png"
    Image.new("L", (20_000, 20_000)).save(bomb)
    _one_line_error(clearsight("compare", bomb, bomb), "bomb.png", "decompression bomb")


def test_corrupt_video_is_a_one_line_error(tmp_path: Path) -> None:
    video = tmp_path / "broken.mp4"
    video.write_bytes(os.urandom(5000))
    watchlist = tmp_path / "w.db"
    watchlist.touch()
    _one_line_error(clearsight("watch", video, "--watchlist", watchlist), "broken.mp4")


def test_compare_two_crops_of_one_photo_say_same(photos: dict[str, Path]) -> None:
    result = clearsight("compare", photos["crop_a"], photos["crop_b"], "--json")
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "same" and verdict["score"] >= verdict["threshold"]


def test_compare_obama_and_biden_say_different(clips_dir: Path) -> None:
    result = clearsight("compare", clips_dir / "obama.jpg", clips_dir / "biden.jpg", "--json")
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "different" and verdict["estimated_fmr"] > 1e-3
    # The operating point it used: the one built from the shipped card and the default config.
    point = create_models(ClearsightConfig()).point
    assert verdict["operating_point"] == json.loads(json.dumps(asdict(point)))
    assert verdict["operating_point"]["rule"] == "every-group"
    # The estimate is the worst group's at this score, beside the pooled one.
    assert verdict["estimated_fmr_group"] in point.groups
    low, high = verdict["estimated_fmr_interval"]
    assert low <= verdict["estimated_fmr"] <= high
    assert verdict["pooled_fmr"] <= verdict["estimated_fmr"]


def test_detect_lists_both_faces(clips_dir: Path) -> None:
    result = clearsight("detect", clips_dir / "two_people.jpg", "--json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["faces"]) == 2


def test_enrol_then_watch_json(clips_dir: Path, tmp_path: Path) -> None:
    watchlist = tmp_path / "w.db"
    enrolled = clearsight(
        "enroll",
        "Lin-Manuel Miranda",
        clips_dir / "lin-manuel-miranda.png",
        "--watchlist",
        watchlist,
    )
    assert enrolled.returncode == 0, enrolled.stderr
    # The pooled point: at the default every-group point the clip's small stage faces miss
    # (see test_pipeline_real); this test is about the alert lines and their point.
    config = tmp_path / "pooled.toml"
    config.write_text('[match]\nrule = "pooled"\n', encoding="utf-8")
    result = clearsight(
        "watch", clips_dir / "short_hamilton_clip.mp4", "--watchlist", watchlist, "--json",
        "--config", config,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    alerts = [json.loads(line) for line in result.stdout.splitlines()]
    assert alerts and {a["subject"] for a in alerts} == {"Lin-Manuel Miranda"}
    for alert in alerts:
        assert alert["event"] == "alert"
        assert {
            "subject",
            "track_id",
            "score",
            "estimated_fmr",
            "capture_time",
            "source",
        } <= alert.keys()
    assert len({a["track_id"] for a in alerts}) == len(alerts)
    point = create_models(load_config(config)).point
    for alert in alerts:
        assert alert["operating_point"]["threshold"] == point.threshold <= alert["score"]
        assert alert["operating_point"]["card_version"] == point.card_version
        assert alert["operating_point"]["rule"] == "pooled"


def test_demo_runs_and_alerts_for_the_enrolled_portrait_only(tmp_path: Path) -> None:
    result = clearsight("demo", "--workdir", tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    assert "1 alert(s). Matched: ['Eileen Collins']" in " ".join(result.stdout.split())


def test_demo_clip_writes_a_decodable_clip_of_the_asked_size(tmp_path: Path) -> None:
    out = tmp_path / "walk.mp4"
    result = clearsight(
        "demo-clip", out, "--width", "320", "--height", "180", "--fps", "5", "--seconds", "2"
    )
    assert result.returncode == 0, result.stderr
    import av

    with av.open(str(out)) as container:
        frames = [f for f in container.decode(video=0)]
    assert len(frames) == 10 and (frames[0].width, frames[0].height) == (320, 180)
