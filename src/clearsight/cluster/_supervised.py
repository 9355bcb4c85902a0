"""Real cameras on a cluster worker, through the workers package's process supervision.

``clearsight.workers.Supervisor`` runs one supervised process per camera (pipeline inside,
restart with backoff) against one gallery. A cluster worker serves several sites, each with
its own watchlist, so it keeps one supervisor per site; a new gallery for a site is handed to
that site's running cameras without restarting them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import UTC, datetime

from clearsight.cluster._runner import AlertEmitter, GalleryLookup, RunnerStats
from clearsight.cluster._wire import CameraSpec
from clearsight.config import ClearsightConfig
from clearsight.match import Gallery
from clearsight.types import Alert
from clearsight.workers import CameraSpec as SupervisedSpec
from clearsight.workers import CameraStatus, Supervisor, SupervisorOptions, WorkerState

__all__ = ["SupervisedCameras"]

_log = logging.getLogger(__name__)
_EMPTY_MODEL = "none"


class _Site:
    def __init__(self, supervisor: Supervisor, gallery: Gallery | None) -> None:
        self.supervisor = supervisor
        self.gallery = gallery
        self.specs: dict[str, SupervisedSpec] = {}


class SupervisedCameras:
    """A ``CameraRunner`` with a ``Supervisor`` per site."""

    def __init__(
        self,
        config: ClearsightConfig,
        galleries: GalleryLookup,
        emit: AlertEmitter,
        options: SupervisorOptions | None = None,
    ) -> None:
        self._config = config
        self._galleries = galleries
        self._emit = emit
        self._options = options
        self._sites: dict[str, _Site] = {}
        self._cameras: dict[str, CameraSpec] = {}
        self._statuses: dict[str, CameraStatus] = {}
        self._lock = threading.Lock()
        self._errors: list[str] = []
        self._since = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _gallery(self, site: str) -> Gallery:
        return self._galleries(site) or Gallery.build(_EMPTY_MODEL, [])

    def _site(self, site: str) -> _Site:
        held = self._sites.get(site)
        if held is None:
            supervisor = Supervisor(
                lambda: self._gallery(site), self._on_alert, self._on_status, self._options
            )
            held = _Site(supervisor, self._galleries(site))
            supervisor.start()
            self._sites[site] = held
        return held

    def start(self, camera: CameraSpec) -> None:
        previous = self._cameras.get(camera.camera_id)
        if previous is not None and previous.site != camera.site:
            self.stop(camera.camera_id)
        self._cameras[camera.camera_id] = camera
        site = self._site(camera.site)
        site.specs[camera.camera_id] = SupervisedSpec(
            camera_id=camera.camera_id,
            name=camera.camera_id,
            source=camera.source,
            enabled=camera.enabled,
            config=self._config,
        )
        site.supervisor.apply(site.specs.values())

    def stop(self, camera_id: str) -> None:
        camera = self._cameras.pop(camera_id, None)
        if camera is None:
            return
        site = self._sites.get(camera.site)
        if site is None:
            return
        site.specs.pop(camera_id, None)
        site.supervisor.apply(site.specs.values())
        with self._lock:
            self._statuses.pop(camera_id, None)
        if not site.specs:
            # Stopping waits for the processes; the event loop (heartbeats) must not.
            threading.Thread(target=site.supervisor.stop, name="stop-site", daemon=True).start()
            del self._sites[camera.site]

    def running(self) -> set[str]:
        return set(self._cameras)

    def take_stats(self) -> RunnerStats:
        now_wall = datetime.now(UTC)
        with self._lock:
            statuses = list(self._statuses.values())
            errors, self._errors = tuple(self._errors), []
        running = [s for s in statuses if s.state == WorkerState.RUNNING]
        lags = [(now_wall - s.last_frame_at).total_seconds() for s in running if s.last_frame_at]
        now = time.monotonic()
        seconds, self._since = now - self._since, now
        fps = sum(s.analysed_fps for s in running)
        return RunnerStats(round(fps * seconds), seconds, max(lags, default=0.0), errors)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            while True:
                for site, held in self._sites.items():
                    current = self._galleries(site)
                    if current is not held.gallery:
                        held.gallery = current
                        await asyncio.to_thread(held.supervisor.reload_gallery)
                await asyncio.sleep(0.5)
        finally:
            for held in self._sites.values():
                await asyncio.to_thread(held.supervisor.stop)
            self._sites.clear()
            self._cameras.clear()

    # Supervisor callbacks (its dispatcher thread) ----------------------------------------
    def _on_alert(self, camera_id: str, alert: Alert) -> None:
        camera, loop = self._cameras.get(camera_id), self._loop
        if camera is None or loop is None:
            _log.error(
                "alert %s from camera %s arrived after it stopped", alert.alert_id, camera_id
            )
            return
        gallery = self._galleries(camera.site)
        model_id = gallery.model_id if gallery is not None else _EMPTY_MODEL
        loop.call_soon_threadsafe(self._emit, camera, alert, model_id)

    def _on_status(self, camera_id: str, status: CameraStatus) -> None:
        with self._lock:
            self._statuses[camera_id] = status
            if status.last_error and status.state == WorkerState.BACKOFF:
                self._errors.append(f"camera {camera_id}: {status.last_error}")
