"""A camera's source: a video file with ``ingest.loop`` replays forever, times rising."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from clearsight.config import IngestConfig
from clearsight.demo import build_demo_clip
from clearsight.errors import VideoError
from clearsight.ingest import VideoFileSource
from clearsight.workers import LoopingSource, open_camera_source


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "short.mp4"
    return build_demo_clip(path, width=320, height=240, fps=10, seconds=1.0)


def test_a_looped_file_replays_with_rising_times_and_indexes(short_clip: Path) -> None:
    source = open_camera_source(str(short_clip), IngestConfig(loop=True))
    assert isinstance(source, LoopingSource)
    frames = []
    with source:
        for frame in source:
            frames.append(frame)
            if len(frames) == 25:  # two and a half passes of a 10-frame clip
                break
    assert source.passes == 2
    assert [f.index for f in frames] == list(range(25))
    times = [f.capture_time for f in frames]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert frames[0].image.shape == frames[10].image.shape == (240, 320, 3)


def test_without_loop_a_file_is_read_once(short_clip: Path) -> None:
    source = open_camera_source(str(short_clip), IngestConfig())
    assert isinstance(source, VideoFileSource)
    assert sum(1 for _ in source) == 10


def test_close_ends_a_looped_source(short_clip: Path) -> None:
    source = open_camera_source(str(short_clip), IngestConfig(loop=True))
    seen = 0
    for _ in source:
        seen += 1
        if seen == 3:
            source.close()  # the current pass finishes, no further pass starts
    assert 3 <= seen <= 10


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"nope\.mp4"):
        open_camera_source(str(tmp_path / "nope.mp4"), IngestConfig(loop=True))


def test_a_looped_file_decoded_faster_than_real_time_is_never_stamped_in_the_future(
    short_clip: Path,
) -> None:
    """The demo camera's alerts were "received" before they were "captured": frames decoded
    ahead of real time were stamped with their place in the clip, seconds in the future."""
    from datetime import UTC, datetime

    source = open_camera_source(str(short_clip), IngestConfig(loop=True, realtime=False))
    ahead = []
    with source:
        for frame in source:
            ahead.append((frame.capture_time - datetime.now(UTC)).total_seconds())
            if len(ahead) == 25:
                break
    assert max(ahead) <= 0.0, f"stamped up to {max(ahead):.3f} s in the future"


def test_closing_a_live_source_while_it_starts_never_joins_an_unstarted_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop soon after a (re)start: ``close`` on the control thread used to find the reader
    thread created but not started and fail with "cannot join thread before it is started"."""
    import socket
    import threading

    from clearsight.ingest import StreamSource

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    source = StreamSource(f"rtsp://127.0.0.1:{port}/live", IngestConfig(reconnect_initial_s=0.1))
    real_start = threading.Thread.start
    errors: list[BaseException] = []

    def start_with_close_first(thread: threading.Thread) -> None:
        if thread.name.startswith("ingest:"):
            try:
                source.close()  # the stop request lands exactly between creation and start
            except BaseException as error:
                errors.append(error)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_with_close_first)
    assert list(source) == []  # stopped: no frames, no error
    monkeypatch.undo()
    source.close()
    assert errors == []
