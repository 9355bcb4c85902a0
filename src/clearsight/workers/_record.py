"""The supervisor's bookkeeping for one camera, and small helpers it uses."""

from __future__ import annotations

import signal
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from clearsight.match import Gallery
from clearsight.workers._types import CameraSpec, CameraStatus, WorkerState


@dataclass
class WorkerRecord:
    """The supervisor's record of one camera (mutated only under the supervisor's lock)."""

    spec: CameraSpec
    status: CameraStatus
    process: BaseProcess | None = None
    reports: Connection | None = None
    control: Connection | None = None
    started_at: float = 0.0
    failures: int = 0
    next_start_at: float | None = None
    stop_deadline: float | None = None
    reported_error: str | None = None
    removed: bool = False


def idle_status() -> CameraStatus:
    return CameraStatus(WorkerState.STARTING, 0.0, 0, 0, None, None, 0)


def death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker process killed by {name}"
    return f"worker process exited with status {exitcode}"


def searchless(gallery: Gallery) -> Gallery:
    # A FAISS index is not sent across processes; each worker builds its own if needed.
    return replace(gallery, search=None) if gallery.search is not None else gallery
