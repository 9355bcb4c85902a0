"""Decoding ahead on a thread: same frames, errors where the consumer meets them, no leaks."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from pathlib import Path

import numpy as np
import pytest

from clearsight.config import IngestConfig
from clearsight.errors import VideoError
from clearsight.ingest import open_source
from clearsight.ingest._prefetch import prefetch


def _counting(limit: int, made: list[int]) -> Generator[int, None, None]:
    for value in range(limit):
        made.append(value)
        yield value


def test_prefetch_keeps_order_and_stays_a_bounded_distance_ahead() -> None:
    made: list[int] = []
    items = prefetch(lambda: _counting(100, made), 3, "t")
    assert next(items) == 0
    time.sleep(0.2)  # give the producer every chance to run ahead
    # One handed out, at most three queued, one made and waiting for room.
    assert len(made) <= 1 + 3 + 1
    assert list(items) == list(range(1, 100))


def test_prefetch_raises_the_producers_error_after_the_items_before_it() -> None:
    def failing() -> Generator[int, None, None]:
        yield 1
        yield 2
        raise VideoError("clip.mp4: corrupt video at frame 2")

    items = prefetch(failing, 4, "t")
    assert next(items) == 1
    assert next(items) == 2
    with pytest.raises(VideoError, match="frame 2"):
        next(items)


def test_closing_early_stops_the_producer_and_closes_its_generator() -> None:
    closed = threading.Event()

    def endless() -> Generator[int, None, None]:
        try:
            value = 0
            while True:
                yield value
                value += 1
        finally:
            closed.set()

    before = threading.active_count()
    items = prefetch(endless, 2, "endless")
    assert next(items) == 0
    items.close()  # type: ignore[attr-defined]
    assert closed.wait(2)
    assert threading.active_count() == before


@pytest.mark.parametrize("ahead", [1, 4])
def test_decoding_ahead_gives_the_same_frames_as_decoding_inline(
    demo_clip: Path, ahead: int
) -> None:
    inline = list(open_source(str(demo_clip), IngestConfig(decode_ahead=0)))
    threaded = list(open_source(str(demo_clip), IngestConfig(decode_ahead=ahead)))
    assert [f.index for f in threaded] == [f.index for f in inline]
    assert [f.capture_time for f in threaded] == [f.capture_time for f in inline]
    for a, b in zip(inline[::10], threaded[::10], strict=True):
        assert np.array_equal(a.image, b.image)


def test_a_corrupt_file_decoded_ahead_is_still_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    with pytest.raises(VideoError, match=r"bad\.mp4"):
        list(open_source(str(bad), IngestConfig(decode_ahead=4)))
