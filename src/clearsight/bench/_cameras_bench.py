"""``bench cameras``: how many real-time cameras one core sustains.

Each camera is its own process (as a camera worker runs it), replaying a clip in real time
at the configured analysed frame rate, with every process pinned to the same CPU core.
Models load and warm up first; then all cameras start together and only the streaming is
measured. A camera that falls behind drops frames, as a live one would, so "frames
analysed" against "frames offered" says whether the core kept up.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearsight.bench._resources import cpu_seconds, peak_resident_mb, resident_mb
from clearsight.config import ClearsightConfig, IngestConfig
from clearsight.errors import InputError
from clearsight.ingest import FrameRateSampler, VideoFileSource, skip_unreferenced_frames
from clearsight.match import Gallery
from clearsight.pipeline import Pipeline, create_models

# How long the parent waits for every camera to load its models before giving up.
_START_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class CameraFigures:
    """One camera process over one real-time replay."""

    camera: int
    frames_offered: int
    frames_analysed: int
    stream_s: float
    cpu_s: float
    resident_mb: float
    peak_resident_mb: float
    alerts: int

    @property
    def analysed_fps(self) -> float:
        return self.frames_analysed / self.stream_s if self.stream_s else 0.0


@dataclass(frozen=True)
class CamerasFigures:
    """All cameras of one run: cores used is their CPU time over the run's wall time."""

    cameras: tuple[CameraFigures, ...]
    wall_s: float
    cpu: int | None

    @property
    def cores_used(self) -> float:
        return sum(c.cpu_s for c in self.cameras) / self.wall_s if self.wall_s else 0.0


def _frames_offered(path: Path, config: IngestConfig) -> int:
    """Frames a camera capped at ``max_fps`` would analyse over the clip (all without a cap)."""
    import av

    sampler = FrameRateSampler(config.max_fps)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        skip_unreferenced_frames(stream, config)
        return sum(sampler.keep(float(f.time or 0.0)) for f in container.decode(stream))


def _camera(
    camera: int,
    path: Path,
    config: ClearsightConfig,
    gallery: Gallery,
    cpu: int | None,
    ready: Any,
    start: Any,
    results: Any,
) -> None:
    """One camera process: load and warm the models, wait for the start, replay the clip."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    models = create_models(
        config
    )  # whatever the config names, any registered detector and embedder
    pipeline = Pipeline(
        config,
        gallery,
        card=models.card,
        detector=models.detector,
        embedder=models.embedder,
        point=models.point,
    )
    warm = VideoFileSource(path, config.ingest.model_copy(update={"realtime": False}))
    with warm:
        for count, frame in enumerate(warm):
            pipeline.process(frame)  # loads every model the stream will use
            if count >= 2:
                break
    pipeline.flush()  # the replay starts with no tracks
    ready.wait()
    start.wait()
    began_cpu, began = cpu_seconds(), time.perf_counter()
    analysed = alerts = 0
    source = VideoFileSource(
        path, config.ingest.model_copy(update={"realtime": True}), start_time=datetime.now(UTC)
    )
    with source:
        for frame in source:
            alerts += len(pipeline.process(frame))
            analysed += 1
    figures = CameraFigures(
        camera, 0, analysed, time.perf_counter() - began, cpu_seconds() - began_cpu,
        resident_mb(), peak_resident_mb(), alerts,
    )  # fmt: skip
    results.put(figures)


def run_cameras(
    path: Path, config: ClearsightConfig, gallery: Gallery, cameras: int, cpu: int | None
) -> CamerasFigures:
    """Replay ``path`` on ``cameras`` processes at once, all pinned to ``cpu`` if given."""
    if cpu is not None and cpu not in os.sched_getaffinity(0):
        raise InputError(f"--cpu {cpu}: not one of this machine's cores {os.sched_getaffinity(0)}")
    offered = _frames_offered(path, config.ingest)
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(cameras + 1)
    start = context.Barrier(cameras + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_camera,
            args=(index, path, config, gallery, cpu, ready, start, results),
            name=f"camera-{index}",
        )
        for index in range(cameras)
    ]
    for process in processes:
        process.start()
    try:
        ready.wait(timeout=_START_TIMEOUT_S)  # every camera has its models loaded
        began = time.perf_counter()
        start.wait(timeout=_START_TIMEOUT_S)
        figures = [results.get(timeout=_START_TIMEOUT_S + 3600) for _ in processes]
        wall = time.perf_counter() - began
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    ordered = sorted(figures, key=lambda f: f.camera)
    with_offered = tuple(dataclasses.replace(f, frames_offered=offered) for f in ordered)
    return CamerasFigures(with_offered, wall, cpu)
