"""What the supervisor is given (camera specs, options) and what it reports (camera status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from clearsight.config import ClearsightConfig
from clearsight.match import Gallery
from clearsight.types import Alert


@dataclass(frozen=True)
class CameraSpec:
    """One camera as the supervisor runs it; a changed spec restarts the camera's worker."""

    camera_id: str
    name: str
    source: str
    """What ``clearsight.ingest.open_source`` opens: a URL, a device, a folder or a file."""
    enabled: bool
    config: ClearsightConfig


class WorkerState(StrEnum):
    """Where a camera's worker is; the value is what the status page shows."""

    STARTING = "starting"
    RUNNING = "running"
    RECONNECTING = "reconnecting"
    """Its live source has no stream; the worker keeps trying (``next_restart_at``)."""
    BACKOFF = "backoff"
    """It died; it is restarted when the backoff delay has passed."""
    FINISHED = "finished"
    """Its source ended (a file that is not looped); not restarted."""
    STOPPING = "stopping"
    STOPPED = "stopped"


@dataclass(frozen=True)
class CameraStatus:
    """A camera's health, as shown on the status page."""

    state: WorkerState
    analysed_fps: float
    """Frames analysed per second over the worker's last report interval."""
    frames: int
    """Frames analysed by the current worker process."""
    alerts: int
    """Alerts raised by the current worker process."""
    last_frame_at: datetime | None
    """When the last frame was analysed (UTC)."""
    last_error: str | None
    """Why the worker last died or failed, kept after a successful restart."""
    restarts: int
    """Times the worker was restarted after dying."""
    pid: int | None = None
    next_restart_at: datetime | None = None
    """When a worker in backoff is restarted, or a reconnecting source tries again (UTC)."""


class SupervisorOptions(BaseModel):
    """How workers are restarted, stopped and report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backoff_initial_s: float = Field(
        1.0,
        gt=0,
        title="First restart delay (s)",
        description="Wait before restarting a worker that died; doubles for each further "
        "death in a row.",
    )
    backoff_max_s: float = Field(
        60.0, gt=0, title="Longest restart delay (s)", description="The doubling stops here."
    )
    healthy_after_s: float = Field(
        60.0,
        gt=0,
        title="Healthy run (s)",
        description="A worker that ran this long before dying is restarted after the first "
        "delay again (its earlier deaths no longer count).",
    )
    stop_grace_s: float = Field(
        5.0,
        gt=0,
        title="Stop grace period (s)",
        description="A worker asked to stop is terminated if still running after this, and "
        "killed after twice this.",
    )
    status_interval_s: float = Field(
        2.0,
        gt=0,
        title="Status interval (s)",
        description="How often a worker reports its analysed frame rate and last frame time.",
    )


# Messages between the supervisor and a worker process (pickled through pipes).


@dataclass(frozen=True)
class WorkerReport:
    """Worker -> supervisor: how the worker is doing; ``error`` set when it is failing."""

    state: WorkerState
    analysed_fps: float
    frames: int
    alerts: int
    last_frame_at: datetime | None
    error: str | None = None
    next_try_at: datetime | None = None
    """Set with RECONNECTING: when the source tries its stream again."""


@dataclass(frozen=True)
class AlertReport:
    """Worker -> supervisor: a match. The only face data that ever leaves a worker."""

    alert: Alert


@dataclass(frozen=True)
class GalleryUpdate:
    """Supervisor -> worker: the watchlist changed; match against this gallery from now on."""

    version: int
    gallery: Gallery


@dataclass(frozen=True)
class StopRequest:
    """Supervisor -> worker: finish the current frame and exit."""
