"""A real stream over HTTP on 127.0.0.1, reopened when it ends; dlib's CNN detector by config."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from clearsight.config import CnnDetectorConfig, IngestConfig
from clearsight.demo import build_demo_clip
from clearsight.detect import CnnFaceDetector, create_detector
from clearsight.errors import VideoError
from clearsight.ingest import StreamSource, open_source

pytestmark = pytest.mark.slow


@pytest.fixture()
def http_clip(tmp_path: Path) -> Iterator[str]:
    # MPEG-TS, as cameras stream it: readable front to back without range requests.
    clip = build_demo_clip(tmp_path / "camera.ts", width=320, height=180, seconds=2)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{clip.name}"
    finally:
        server.shutdown()


def test_http_stream_is_read_and_reopened_when_it_drops(http_clip: str) -> None:
    source = open_source(http_clip, IngestConfig(reconnect_initial_s=0.05, reconnect_max_s=0.1))
    assert isinstance(source, StreamSource)
    frames = 0
    with source:
        for frame in source:
            assert frame.image.shape == (180, 320, 3)
            frames += 1
            if source.reconnects >= 1 and frames >= 5:
                break
    assert source.reconnects >= 1  # the clip ended, and the stream was opened again


def test_unreachable_stream_gives_up_with_a_clear_error() -> None:
    source = StreamSource(
        "http://127.0.0.1:9/nothing.mp4",
        IngestConfig(reconnect_initial_s=0.01, reconnect_max_s=0.02),
        max_reconnects=2,
    )
    with pytest.raises(VideoError, match=r"127\.0\.0\.1:9.*gave up after 2 reconnects"):
        list(source)


def test_cnn_detector_is_chosen_by_type_and_finds_the_face() -> None:
    detector = create_detector(CnnDetectorConfig())
    assert isinstance(detector, CnnFaceDetector)
    found = detector.detect(np.ascontiguousarray(data.astronaut()))
    assert len(found) == 1
    x1, y1, x2, y2 = found.boxes[0]
    assert 150 < (x1 + x2) / 2 < 300 and 50 < (y1 + y2) / 2 < 200
    assert not np.isnan(found.landmarks).any()
