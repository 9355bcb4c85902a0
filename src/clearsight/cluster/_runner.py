"""The seam between a worker and the cameras it runs, and edge matching of one track.

A ``CameraRunner`` starts and stops cameras by id and hands every alert to the worker's
``emit`` callable. Real cameras run ``clearsight.pipeline.Pipeline`` (the workers package's
supervisor is meant to plug in here); the scale test runs ``SimulatedCameras``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from clearsight.cluster._wire import CameraSpec, ClusterAlert
from clearsight.match import Gallery
from clearsight.types import Alert

__all__ = [
    "AlertEmitter",
    "CameraRunner",
    "GalleryLookup",
    "RunnerStats",
    "to_cluster_alert",
]

GalleryLookup = Callable[[str], Gallery | None]
"""The current gallery of a site, or None when its watchlist is not (yet) held."""


class AlertEmitter(Protocol):
    def __call__(self, camera: CameraSpec, alert: Alert, model_id: str) -> None:
        """Take an alert a camera raised (the worker buffers and publishes it)."""


@dataclass(frozen=True)
class RunnerStats:
    """What the runner did since the previous call of ``take_stats``."""

    events: int
    """Frames (real cameras) or face samples (simulated) processed."""
    seconds: float
    worst_lag_s: float
    errors: tuple[str, ...]


class CameraRunner(Protocol):
    """Runs cameras for a worker. Methods are called from the worker's event loop."""

    def start(self, camera: CameraSpec) -> None:
        """Run ``camera`` (restart it if it runs with other settings)."""

    def stop(self, camera_id: str) -> None:
        """Stop a camera; what it held about unmatched faces is dropped."""

    def running(self) -> set[str]:
        """Ids of the cameras running now."""

    def take_stats(self) -> RunnerStats:
        """Counts since the last call."""

    async def run(self) -> None:
        """Work until cancelled."""


def _jpeg(image: npt.NDArray[np.uint8]) -> bytes:
    import cv2  # only a camera worker encodes evidence

    bgr = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise ValueError("cannot encode the evidence crop as JPEG")
    return bytes(encoded.tobytes())


def to_cluster_alert(
    alert: Alert, camera: CameraSpec, worker_id: str, model_id: str
) -> ClusterAlert:
    """The network form of a pipeline alert: site, camera and worker added, crop as JPEG."""
    return ClusterAlert(
        alert_id=alert.alert_id,
        site=camera.site,
        camera_id=camera.camera_id,
        worker_id=worker_id,
        subject_id=alert.subject_id,
        subject_name=alert.subject_name,
        track_id=alert.track_id,
        score=alert.score,
        estimated_fmr=alert.estimate.fmr,
        estimated_fmr_low=alert.estimate.low,
        estimated_fmr_high=alert.estimate.high,
        estimated_fmr_group=alert.estimate.group,
        pooled_fmr=alert.estimate.pooled_fmr,
        threshold=alert.operating_point.threshold,
        threshold_rule=alert.operating_point.rule,
        target_fmr=alert.operating_point.target_fmr,
        card_version=alert.operating_point.card_version,
        samples_used=alert.samples_used,
        agreeing_samples=alert.agreeing_samples,
        capture_time=alert.capture_time,
        decided_at=datetime.now(UTC),
        model_id=model_id,
        crop_jpeg=_jpeg(alert.best_crop),
    )
