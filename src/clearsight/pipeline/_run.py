from __future__ import annotations

from collections.abc import Callable
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

    @property
    def threshold(self) -> float:
        return self.point.threshold


def run_source(
    source: FrameSource,
    pipeline: Pipeline,
    on_alert: Callable[[Alert], None],
    on_frame: Callable[[Frame], None] | None = None,
) -> RunSummary:
    """Feed every frame of ``source`` through ``pipeline``; ``on_alert`` gets each alert."""
    with source:
        for frame in source:
            for alert in pipeline.process(frame):
                on_alert(alert)
            if on_frame is not None:
                on_frame(frame)
    for alert in pipeline.flush():
        on_alert(alert)
    stats = pipeline.stats
    return RunSummary(stats.frames, stats.faces, stats.tracks, stats.alerts, pipeline.point)
