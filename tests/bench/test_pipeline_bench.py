"""Pipeline and latency benchmarks with a fake detector and embedder (the model seams), on
real decoded video; and the ``clearsight bench`` command line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from tests.card_groups import groups_of

from clearsight.bench import Models, run_latency, run_naive, run_pipeline
from clearsight.cli import main
from clearsight.config import ClearsightConfig, MatchConfig, ScheduleConfig
from clearsight.detect import FaceDetector
from clearsight.embed import Embedder
from clearsight.match import Gallery, build_card, operating_point
from clearsight.types import FaceDetections

TEMPLATE = np.eye(128, dtype=np.float32)[3]


class OneFaceDetector(FaceDetector):
    """One frontal 120 px face at the same place in every frame (dlib 5-point landmarks)."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        self.calls += 1
        landmarks = [[190, 140], [170, 140], [130, 140], [150, 140], [160, 180]]
        return FaceDetections(
            boxes=np.array([[100, 100, 220, 220]], np.float32),
            scores=np.ones(1, np.float32),
            landmarks=np.array([landmarks], np.float32),
        )


class ConstantEmbedder(Embedder):
    """Every face is Alice."""

    model_id = "fake-model"
    dimensions = 128

    def __init__(self) -> None:
        self.faces = 0

    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        self.faces += len(chips)
        return np.tile(TEMPLATE, (len(chips), 1))


def _models() -> Models:
    rng = np.random.default_rng(0)
    other = np.eye(128, dtype=np.float32)[7]
    gallery = Gallery.build("fake-model", [("a", "Alice", TEMPLATE), ("b", "Bob", other)])
    groups = groups_of(("all", rng.uniform(-0.2, 0.5, 50_000), 300))
    card = build_card(
        "fake-model", rng.uniform(-0.2, 0.5, 5000), rng.uniform(0.6, 1, 500), "t", "1",
        groups=groups,
    )  # fmt: skip
    point = operating_point(card, MatchConfig())
    return Models(OneFaceDetector(), ConstantEmbedder(), gallery, card, point)


@pytest.fixture(scope="module")
def noisy_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of sharp noise at 10 frames/s, H.264, 320x240."""
    from fractions import Fraction

    import av

    path = tmp_path_factory.mktemp("clip") / "noise.mp4"
    rng = np.random.default_rng(1)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(10, 1))
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for _ in range(20):
            image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_pipeline_embeds_a_few_samples_where_the_naive_loop_embeds_every_face(
    noisy_clip: Path,
) -> None:
    models = _models()
    # The fake detector ignores pixels, so it cannot stand in for a search of regions: detect
    # on whole frames here (tests/core/test_schedule.py covers the schedule with real models).
    config = ClearsightConfig(schedule=ScheduleConfig(enabled=False))
    fast = run_pipeline(str(noisy_clip), config, models)
    slow = run_naive(str(noisy_clip), config, models)
    assert fast.frames == slow.frames == 20 and fast.faces == slow.faces == 20
    assert slow.embeddings == 20
    assert 2 <= fast.embeddings <= config.quality.samples_per_track
    assert dict(fast.identities) == {"Alice": 1}  # one alert for the one track
    assert dict(slow.identities) == {"Alice": 20}  # every face matched on its own
    assert {"decode wait", "detect", "embed"} <= set(fast.stage_ms) and "match" in slow.stage_ms
    assert fast.analysed_fps > 0 and fast.peak_rss_mb > 0 and fast.cpu_s >= 0


def test_run_pipeline_stops_at_the_frame_limit(noisy_clip: Path) -> None:
    figures = run_pipeline(str(noisy_clip), ClearsightConfig(), _models(), limit=7)
    assert figures.frames == 7


def test_latency_replays_in_real_time_and_stores_one_alert_per_replay(
    noisy_clip: Path, tmp_path: Path
) -> None:
    log = tmp_path / "alerts.jsonl"
    whole_frames = ClearsightConfig(schedule=ScheduleConfig(enabled=False))  # see above
    figures = run_latency(noisy_clip, whole_frames, _models(), log, repeats=2)
    stored = [json.loads(line) for line in log.read_text().splitlines()]
    assert figures.alerts == len(stored) == 2
    assert {entry["subject_id"] for entry in stored} == {"a"}
    assert figures.frames_in_clip == 40 and 0 < figures.frames_analysed <= 40
    assert figures.alert_latency.count == 2 and figures.alert_latency.p50 >= 0
    assert figures.frame_latency.p50 <= figures.frame_latency.p99


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_bench_search_prints_figures(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_json = tmp_path / "figures.json"
    code, out, _ = _run(
        ["bench", "search", "--sizes", "300", "--probes", "20", "--index", "exact",
         "--json", str(out_json)],
        capsys,
    )  # fmt: skip
    assert code == 0
    assert "random unit vectors: 300 templates" in out
    assert "recall@1 1.0000" in out
    saved = json.loads(out_json.read_text())
    assert saved[0]["size"] == 300 and saved[0]["index"] == "exact"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "search", "--sizes", "lots"], "--sizes 'lots': expected numbers"),
        (["bench", "search", "--index", "annoy"], "unknown backend 'annoy'"),
        (["bench", "pipeline", "clip.mp4", "-w", "missing.db"], "missing.db: no such watchlist"),
        (["bench", "clip", "missing.mp4", "out.mp4"], "missing.mp4: no such video file"),
        (["bench", "clip", "notes.txt", "out.mp4"], "notes.txt: not a readable video"),
        (["bench", "clip", "notes.txt", "out.mp4", "--width", "1921"], "must be even"),
    ],
)
def test_bench_commands_refuse_bad_input_in_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a video")
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bench_clip_upscales_a_real_clip_and_loops_it_without_a_cut(
    noisy_clip: Path, tmp_path: Path
) -> None:
    """The 1080p benchmark clip keeps the source's pictures: each frame is the source frame
    enlarged, and a loop plays back the way it came."""
    import av
    import cv2

    from clearsight.bench import upscale_clip

    with av.open(str(noisy_clip)) as container:
        source = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    summary = upscale_clip(noisy_clip, tmp_path / "big.mp4", 640, 480, loops=2)
    assert (summary.width, summary.height, summary.frames) == (640, 480, 2 * len(source))
    with av.open(str(summary.path)) as container:
        written = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(written) == 2 * len(source) and written[0].shape == (480, 640, 3)
    for index in (0, len(source) - 1, len(source), 2 * len(source) - 1):
        original = index if index < len(source) else 2 * len(source) - 1 - index
        shrunk = cv2.resize(written[index], source[0].shape[1::-1], interpolation=cv2.INTER_AREA)
        error = np.abs(shrunk.astype(np.int16) - source[original].astype(np.int16)).mean()
        other = np.abs(shrunk.astype(np.int16) - source[len(source) // 2].astype(np.int16)).mean()
        assert error < other / 3  # the same picture, not another frame of the clip


@pytest.mark.slow
def test_bench_pipeline_prints_both_loops_the_ratio_and_the_load(
    demo_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command a closing note quotes, with the real default models on the demo clip."""
    from clearsight.demo import write_demo_photos

    photo = write_demo_photos(tmp_path / "photos")[0]
    watchlist = tmp_path / "w.db"
    code, _, err = _run(["enroll", "Eileen Collins", str(photo), "-w", str(watchlist)], capsys)
    assert code == 0, err
    code, out, err = _run(
        ["bench", "pipeline", str(demo_clip), "-w", str(watchlist), "--naive"], capsys
    )
    assert code == 0, err
    text = " ".join(out.split())
    assert "load average" in text and "1 watchlist subjects" in text
    for mode in ("pipeline", "naive"):
        line = next(line for line in out.splitlines() if line.startswith(mode))
        assert "found per frame" in line and "frames per CPU-second" in line
    assert "screenings" in text  # the pipeline screened its tracks before looking closely
    assert "x the naive loop's frames/s" in text and "per CPU-second" in text
    assert "identities the same (pipeline ['Eileen Collins'], naive ['Eileen Collins'])" in text
