"""A camera's frame source; a video file with ``ingest.loop`` is replayed forever."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from clearsight.config import IngestConfig
from clearsight.errors import VideoError
from clearsight.ingest import FrameSource, VideoFileSource, open_source
from clearsight.types import Frame

_TICK = timedelta(microseconds=1)


class LoopingSource(FrameSource):
    """Replays a video file from the start each time it ends, until closed.

    Each pass is stamped from the wall clock when it starts, so capture times keep rising
    as a live camera's would, never ahead of the clock, and frame indexes keep counting
    across passes.
    """

    def __init__(self, spec: str, config: IngestConfig, first: FrameSource | None = None) -> None:
        self.name = spec
        self._spec = spec
        self._config = config
        self._next = first
        self._current: FrameSource | None = None
        self._closed = False
        self.passes = 0

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        last: datetime | None = None
        step = timedelta(seconds=0.04)
        while not self._closed:
            source = self._next or open_source(self._spec, self._config)
            self._next = None
            self._current = source
            # Never before the previous pass's last frame, even when decoding outruns real time.
            started = datetime.now(UTC) if last is None else max(datetime.now(UTC), last + step)
            first_time: datetime | None = None
            with source:
                for frame in source:
                    if first_time is None:
                        first_time = frame.capture_time
                    # Never later than the moment the frame is handed out: a frame decoded
                    # ahead of real time was not captured in the future, and an alert's capture
                    # time must not come after the time the service receives it.
                    stamped = min(started + (frame.capture_time - first_time), datetime.now(UTC))
                    if last is not None and stamped <= last:
                        stamped = last + _TICK
                    elif last is not None:
                        step = min(stamped - last, timedelta(seconds=1))
                    last = stamped
                    yield replace(frame, capture_time=stamped, index=index)
                    index += 1
            if first_time is None:
                raise VideoError(f"{self._spec}: no frames to replay")
            self.passes += 1

    def close(self) -> None:
        self._closed = True
        if self._current is not None:
            self._current.close()


def open_camera_source(spec: str, config: IngestConfig) -> FrameSource:
    """``open_source(spec)``, looped when it is a video file and ``config.loop`` is set."""
    source = open_source(spec, config)
    if config.loop and isinstance(source, VideoFileSource):
        return LoopingSource(spec, config, first=source)
    return source
