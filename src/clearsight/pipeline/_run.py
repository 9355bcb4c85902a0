from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

from clearsight.ingest import FrameSource
from clearsight.pipeline._pipeline import Pipeline
from clearsight.types import Alert, Frame, OperatingPoint


@dataclass(frozen=True)
class RunSummary:
    frames: int
    faces: int
    tracks: int
    alerts: int
    point: OperatingPoint
    closer_looks: int = 0
    """Tracks given a closer look (a screening came within reach of the threshold), alerted
    or not."""

    @property
    def threshold(self) -> float:
        return self.point.threshold

    @classmethod
    def of(cls, pipeline: Pipeline) -> RunSummary:
        """What ``pipeline`` has done so far."""
        stats = pipeline.stats
        return cls(
            stats.frames,
            stats.faces,
            stats.tracks,
            stats.alerts,
            pipeline.point,
            stats.closer_looks,
        )


def stream_alerts(
    source: FrameSource,
    pipeline: Pipeline,
    on_frame: Callable[[Frame], None] | None = None,
) -> Generator[Alert, None, None]:
    """Every alert of ``source``'s frames through ``pipeline``, as they are raised, then the
    alerts of the tracks still open when the source ends. The source is open while the
    iterator is, and closed when it ends or is closed."""
    with source:
        for frame in source:
            yield from pipeline.process(frame)
            if on_frame is not None:
                on_frame(frame)
    yield from pipeline.flush()


def run_source(
    source: FrameSource,
    pipeline: Pipeline,
    on_alert: Callable[[Alert], None],
    on_frame: Callable[[Frame], None] | None = None,
) -> RunSummary:
    """Feed every frame of ``source`` through ``pipeline``; ``on_alert`` gets each alert."""
    for alert in stream_alerts(source, pipeline, on_frame):
        on_alert(alert)
    return RunSummary.of(pipeline)
