"""A worker's counters and their Prometheus exposition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from clearsight.cluster._metrics import Metric, render_metrics

if TYPE_CHECKING:
    from clearsight.cluster._worker import Worker

__all__ = ["WorkerCounters", "worker_metrics"]


@dataclass
class WorkerCounters:
    """Counts since the worker started (the buffer's overflow count is kept on disk)."""

    alerts: int = 0
    published: int = 0
    duplicates: int = 0
    claims: int = 0
    releases: int = 0
    buffer_errors: int = 0
    """Alerts the disk buffer could not write (disk failure), logged with their ids."""
    last_error: str = ""


def worker_metrics(worker: Worker) -> str:
    """The worker's metrics as Prometheus text."""
    counters = worker.counters
    hb = worker.heartbeat()
    metrics = [
        Metric(
            "clearsight_worker_cameras",
            "Cameras this worker runs now.",
            "gauge",
            lambda: len(hb.cameras),
        ),
        Metric(
            "clearsight_worker_rate",
            "Frames or simulated face samples processed per second.",
            "gauge",
            lambda: hb.rate,
        ),
        Metric(
            "clearsight_worker_lag_seconds",
            "Worst processing delay in the last interval.",
            "gauge",
            lambda: hb.lag_s,
        ),
        Metric(
            "clearsight_worker_alerts_total",
            "Alerts raised at the edge.",
            "counter",
            lambda: counters.alerts,
        ),
        Metric(
            "clearsight_worker_published_total",
            "Alerts acknowledged by JetStream.",
            "counter",
            lambda: counters.published,
        ),
        Metric(
            "clearsight_worker_duplicate_publishes_total",
            "Publishes JetStream recognised as duplicates (after a retry).",
            "counter",
            lambda: counters.duplicates,
        ),
        Metric(
            "clearsight_worker_buffered_alerts",
            "Alerts in the disk buffer, not yet acked.",
            "gauge",
            lambda: hb.buffered,
        ),
        Metric(
            "clearsight_worker_buffer_overflow_total",
            "Alerts refused because the disk buffer was full.",
            "counter",
            lambda: hb.overflow,
        ),
        Metric(
            "clearsight_worker_buffer_errors_total",
            "Alerts lost because the disk buffer could not be written.",
            "counter",
            lambda: counters.buffer_errors,
        ),
        Metric(
            "clearsight_worker_lease_claims_total",
            "Camera leases taken.",
            "counter",
            lambda: counters.claims,
        ),
        Metric(
            "clearsight_worker_lease_releases_total",
            "Camera leases given back.",
            "counter",
            lambda: counters.releases,
        ),
        Metric(
            "clearsight_worker_nats_connected",
            "1 while connected to NATS.",
            "gauge",
            lambda: 1.0 if worker.connected else 0.0,
        ),
    ]
    return render_metrics(metrics, {"worker": worker.worker_id})
