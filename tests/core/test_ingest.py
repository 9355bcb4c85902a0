from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clearsight.config import IngestConfig
from clearsight.errors import ImageError, SourceDisconnectedError, VideoError
from clearsight.ingest import (
    FrameRateSampler,
    ImageFolderSource,
    decode_image,
    load_image,
    open_source,
)
from clearsight.ingest._sources import _LatestFrameSource


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_decode_image_returns_rgb_pixels() -> None:
    pixels = decode_image(_png(8, 6), "x.png")
    assert pixels.shape == (6, 8, 3) and pixels.dtype == np.uint8
    assert pixels[0, 0].tolist() == [10, 20, 30]


def test_decompression_bomb_is_refused_before_decoding() -> None:
    # A 10000x10000 PNG of one colour compresses to a few hundred kilobytes.
    with pytest.raises(ImageError, match="decompression bomb"):
        decode_image(_png(10_000, 10_000), "bomb.png")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"not an image at all", "not a recognised image"),
        (_png(50, 50)[:80], "corrupt or truncated"),
    ],
)
def test_bad_images_name_the_file_and_problem(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=f"upload.png: .*{message}"):
        decode_image(data, "upload.png")


def test_load_image_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(ImageError, match="is a directory"):
        load_image(tmp_path)


def test_video_file_frames_carry_increasing_capture_times(demo_clip: Path) -> None:
    frames = list(open_source(str(demo_clip)))
    assert len(frames) == 80
    times = [f.capture_time for f in frames]
    assert times == sorted(times)
    assert (times[-1] - times[0]).total_seconds() == pytest.approx(7.9, abs=0.05)
    assert frames[0].image.shape == (720, 1280, 3)


def test_max_fps_skips_frames(demo_clip: Path) -> None:
    frames = list(open_source(str(demo_clip), IngestConfig(max_fps=2.5)))
    assert 18 <= len(frames) <= 22


def test_frame_rate_sampler_keeps_the_rate_on_average_and_restarts_after_a_gap() -> None:
    sampler = FrameRateSampler(5.0)
    offsets = [i / 12.5 for i in range(125)]  # 10 s of a 12.5 frames/s camera
    kept = [t for t in offsets if sampler.keep(t)]
    # "0.2 s since the last kept frame" would keep every third frame: 42.
    assert len(kept) == 50
    assert max(np.diff(kept)) <= 0.24 + 1e-9
    # A stream that jumps ahead (a reconnect) does not burst to catch up.
    later = [100 + i / 12.5 for i in range(25)]  # 2 s
    assert sum(sampler.keep(t) for t in later) == 10
    assert all(FrameRateSampler(None).keep(t) for t in offsets)


def test_max_fps_skips_unreferenced_frames_in_the_decoder_and_keeps_the_right_pictures(
    demo_clip: Path,
) -> None:
    """At half the clip's rate the decoder skips frames nothing refers to; the frames kept
    are the clip's own, numbered and timed as in the full decode."""
    every = {f.index: f for f in open_source(str(demo_clip))}
    skipping = list(open_source(str(demo_clip), IngestConfig(max_fps=5)))
    decoding_all = list(
        open_source(str(demo_clip), IngestConfig(max_fps=5, skip_unreferenced_frames=False))
    )
    assert len(skipping) == len(decoding_all) == 40  # 5 a second of an 8 s clip at 10
    for frame in skipping:
        same = every[frame.index]
        assert frame.capture_time == same.capture_time
        assert np.array_equal(frame.image, same.image)


def test_corrupt_video_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    with pytest.raises(VideoError, match=r"bad\.mp4"):
        list(open_source(str(bad)))
    with pytest.raises(VideoError, match="no such file"):
        open_source(str(tmp_path / "missing.mp4"))


def test_image_folder_skips_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(_png(8, 8))
    (tmp_path / "b.jpg").write_bytes(b"garbage")
    (tmp_path / "c.png").write_bytes(_png(4, 4))
    frames = list(ImageFolderSource(tmp_path))
    assert [f.image.shape[0] for f in frames] == [8, 4]


class _FlakySource(_LatestFrameSource):
    """Drops twice, then delivers a burst faster than anyone reads it."""

    def __init__(self) -> None:
        super().__init__(
            "flaky", IngestConfig(reconnect_initial_s=0.01, reconnect_max_s=0.04), max_reconnects=3
        )
        self.opens = 0
        self.burst_sent = threading.Event()

    def _read_frames(self) -> Iterator[np.ndarray]:
        self.opens += 1
        if self.opens != 3:  # down, down, one burst, then down for good
            raise SourceDisconnectedError("flaky: connection refused")
        for value in range(50):
            yield np.full((2, 2, 3), value, np.uint8)
        self.burst_sent.set()
        raise SourceDisconnectedError("flaky: gone for good")


def test_live_source_reconnects_with_backoff_and_latest_frame_wins(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = _FlakySource()
    seen = []
    with pytest.raises(VideoError, match="gave up"):
        for frame in source:
            source.burst_sent.wait(5)  # a slow consumer: the burst is over before we read
            seen.append(int(frame.image[0, 0, 0]))
    source.close()
    assert source.reconnects >= 2
    assert "reopening in" in caplog.text
    # The consumer got the newest frame, not a queue of 50 stale ones.
    assert seen[-1] == 49
    assert len(seen) < 50
    assert source.dropped_frames >= 48 - len(seen)
