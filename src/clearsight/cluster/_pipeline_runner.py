"""Real cameras on a worker: one thread per camera feeding ``clearsight.pipeline.Pipeline``.

A minimal runner so ``clearsight worker`` works on real streams; the workers package's
process supervision (restart with backoff, one process per camera) is meant to replace it
behind the same ``CameraRunner`` seam.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from clearsight.cluster._runner import AlertEmitter, GalleryLookup, RunnerStats
from clearsight.cluster._wire import CameraSpec
from clearsight.config import ClearsightConfig
from clearsight.errors import ClearsightError
from clearsight.match import Gallery
from clearsight.types import Alert

__all__ = ["PipelineCameras"]

_log = logging.getLogger(__name__)


@dataclass
class _Running:
    spec: CameraSpec
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class PipelineCameras:
    """A ``CameraRunner`` running each camera's frames through the pipeline in a thread."""

    def __init__(self, config: ClearsightConfig, galleries: GalleryLookup, emit: AlertEmitter):
        self._config = config
        self._galleries = galleries
        self._emit = emit
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._frames = 0
        self._worst_lag = 0.0
        self._errors: list[str] = []
        self._since = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, camera: CameraSpec) -> None:
        held = self._running.get(camera.camera_id)
        if held is not None:
            if held.spec == camera:
                return
            self.stop(camera.camera_id)
        running = _Running(camera)
        running.thread = threading.Thread(
            target=self._camera, args=(running,), name=f"camera-{camera.camera_id}", daemon=True
        )
        self._running[camera.camera_id] = running
        running.thread.start()

    def stop(self, camera_id: str) -> None:
        running = self._running.pop(camera_id, None)
        if running is not None:
            running.stop.set()

    def running(self) -> set[str]:
        return set(self._running)

    def take_stats(self) -> RunnerStats:
        with self._lock:
            now = time.monotonic()
            stats = RunnerStats(self._frames, now - self._since, self._worst_lag, tuple(self._errors))
            self._frames, self._worst_lag, self._errors, self._since = 0, 0.0, [], now
        return stats

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.Event().wait()

    def _camera(self, running: _Running) -> None:
        from clearsight.ingest import open_source
        from clearsight.pipeline import Pipeline

        spec = running.spec
        backoff = 1.0
        while not running.stop.is_set():
            try:
                gallery = self._galleries(spec.site) or Gallery.build("none", [])
                pipeline = Pipeline(self._config, gallery)
                with open_source(spec.source, self._config.ingest) as source:
                    for frame in source:
                        if running.stop.is_set():
                            return
                        current = self._galleries(spec.site)
                        if current is not None and current is not gallery:
                            gallery = current
                            pipeline.set_gallery(gallery)
                        alerts = pipeline.process(frame)
                        lag = (datetime.now(UTC) - frame.capture_time).total_seconds()
                        with self._lock:
                            self._frames += 1
                            self._worst_lag = max(self._worst_lag, lag)
                        for alert in alerts:
                            self._hand_over(spec, alert, gallery.model_id)
                backoff = 1.0
            except (ClearsightError, ValueError, OSError) as error:
                with self._lock:
                    self._errors.append(f"camera {spec.camera_id}: {error}")
                _log.error("camera %s: %s (retrying in %.0f s)", spec.camera_id, error, backoff)
            running.stop.wait(backoff)
            backoff = min(30.0, backoff * 2)

    def _hand_over(self, spec: CameraSpec, alert: Alert, model_id: str) -> None:
        loop = self._loop
        if loop is None:
            return
        loop.call_soon_threadsafe(self._emit, spec, alert, model_id)
