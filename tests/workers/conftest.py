"""Fixtures for the camera worker tests: a recorder of what the supervisor reports, the
demo clip's enrolled subject as a gallery, and camera configs that keep the CPU cost low."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from clearsight.config import ClearsightConfig, IngestConfig
from clearsight.match import Gallery
from clearsight.types import Alert
from clearsight.workers import CameraStatus, SupervisorOptions, WorkerState


@dataclass
class Recorder:
    """Collects the supervisor's callbacks and lets a test wait for a condition on them."""

    alerts: list[tuple[str, Alert]] = field(default_factory=list)
    statuses: list[tuple[float, str, CameraStatus]] = field(default_factory=list)
    """(wall-clock time received, camera id, status)"""
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def on_alert(self, camera_id: str, alert: Alert) -> None:
        with self._changed:
            self.alerts.append((camera_id, alert))
            self._changed.notify_all()

    def on_status(self, camera_id: str, status: CameraStatus) -> None:
        with self._changed:
            self.statuses.append((time.time(), camera_id, status))
            self._changed.notify_all()

    def latest(self, camera_id: str) -> CameraStatus | None:
        with self._changed:
            found = [s for _, c, s in self.statuses if c == camera_id]
        return found[-1] if found else None

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                self._changed.wait(min(left, 0.5))

    def wait_state(self, camera_id: str, state: WorkerState, timeout: float) -> CameraStatus:
        def reached() -> bool:
            latest = self.latest(camera_id)
            return latest is not None and latest.state == state

        self.wait_for(reached, timeout, f"camera {camera_id} to be {state.value}")
        status = self.latest(camera_id)
        assert status is not None
        return status


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def fast_options() -> SupervisorOptions:
    return SupervisorOptions(
        backoff_initial_s=0.5, backoff_max_s=2.0, stop_grace_s=3.0, status_interval_s=0.5
    )


def camera_config(*, loop: bool, max_fps: float | None = 5.0) -> ClearsightConfig:
    """Realtime when looped (as a camera), at most ``max_fps`` analysed: a light CPU load."""
    return ClearsightConfig(ingest=IngestConfig(realtime=loop, loop=loop, max_fps=max_fps))


@pytest.fixture(scope="session")
def collins_gallery() -> Gallery:
    """Eileen Collins, the demo clip's first walker, enrolled with the real models."""
    from clearsight.demo import demo_portraits
    from clearsight.enrollment import enroll_face

    collins = demo_portraits()[0]
    face = enroll_face(collins.image, collins.name)
    return Gallery.build(
        face.embedding.model_id, [("subject-collins", collins.name, face.embedding.vector)]
    )


@pytest.fixture(scope="session")
def empty_gallery(collins_gallery: Gallery) -> Gallery:
    return Gallery.build(collins_gallery.model_id, [])
