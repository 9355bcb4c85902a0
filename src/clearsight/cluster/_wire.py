"""What crosses the network: camera settings, leases, heartbeats and alerts, as JSON.

Every value read from a bucket or the stream is validated here; a malformed one is an
InputError naming where it came from, never a half-read record.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clearsight.cluster._config import NAME_PATTERN
from clearsight.crypto import BlobCipher
from clearsight.errors import InputError

_T = TypeVar("_T", bound=BaseModel)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _checked_name(value: str) -> str:
    if not NAME_PATTERN.match(value):
        raise ValueError("use 1-64 letters, digits, '-' or '_'")
    return value


class CameraSpec(_Wire):
    """One camera's settings, kept in the cameras bucket under its id."""

    camera_id: str = Field(title="Camera id", description="Unique id; the bucket key.")
    site: str = Field(
        title="Site", description="Site the camera belongs to; its watchlist applies."
    )
    source: str = Field(
        title="Source",
        description="Stream URL, file or device of the camera; `sim:` for a simulated camera.",
    )
    enabled: bool = Field(True, title="Enabled", description="Disabled cameras are not run.")

    @field_validator("camera_id", "site")
    @classmethod
    def _names(cls, value: str) -> str:
        return _checked_name(value)


class _Tolerant(BaseModel):
    # Written by every worker and read by every other: during a rolling upgrade a newer
    # worker's extra fields must not make an older one drop its heartbeat or lease.
    model_config = ConfigDict(extra="ignore", frozen=True)


class LeaseRecord(_Tolerant):
    """Which worker runs a camera; written only by compare-and-set on the key's revision."""

    worker_id: str = Field(title="Worker", description="Id of the worker holding the lease.")
    acquired_at: datetime = Field(title="Acquired", description="When the lease was taken (UTC).")


class WorkerHeartbeat(_Tolerant):
    """A worker's liveness and status, rewritten every heartbeat interval."""

    worker_id: str = Field(title="Worker", description="Unique id of the worker process.")
    host: str = Field(title="Host", description="Machine name.")
    pid: int = Field(title="Process id", description="Process id on that machine.")
    started_at: datetime = Field(title="Started", description="When the worker started (UTC).")
    sent_at: datetime = Field(title="Sent", description="When this heartbeat was written (UTC).")
    cameras: list[str] = Field(title="Cameras", description="Cameras the worker runs now.")
    rate: float = Field(
        title="Rate", description="Frames (real cameras) or face samples (simulated) per second."
    )
    lag_s: float = Field(
        title="Lag (s)", description="Worst delay between capture and processing, last interval."
    )
    alerts: int = Field(title="Alerts", description="Alerts raised since start.")
    published: int = Field(title="Published", description="Alerts acknowledged by JetStream.")
    buffered: int = Field(title="Buffered", description="Alerts waiting in the disk buffer.")
    overflow: int = Field(title="Overflow", description="Alerts refused by the full buffer.")
    lost: int = Field(0, title="Lost", description="Alerts the disk buffer failed to write.")
    last_error: str = Field("", title="Last error", description="Most recent error, if any.")
    metrics_url: str = Field("", title="Metrics", description="Prometheus endpoint, if any.")


class ClusterAlert(_Wire):
    """A candidate match with its evidence, as published by a worker and stored by the service."""

    alert_id: str = Field(title="Alert id", description="Random id; the idempotency key.")
    site: str = Field(title="Site", description="Site of the camera.")
    camera_id: str = Field(title="Camera", description="Camera that saw the face.")
    worker_id: str = Field(title="Worker", description="Worker that matched it.")
    subject_id: str = Field(title="Subject id", description="Watchlist subject matched.")
    subject_name: str = Field(title="Subject name", description="Name of that subject.")
    track_id: int = Field(title="Track", description="Track id within the camera.")
    score: float = Field(title="Score", description="Quality-weighted cosine score.")
    estimated_fmr: float = Field(
        title="Estimated FMR",
        description="False match rate at this score of the group the model confuses most.",
    )
    estimated_fmr_low: float = Field(title="FMR low", description="Its 95% interval, low end.")
    estimated_fmr_high: float = Field(title="FMR high", description="Its 95% interval, high end.")
    estimated_fmr_group: str = Field(title="Group", description="The group it is the rate of.")
    pooled_fmr: float = Field(
        title="Pooled FMR", description="Rate over all impostor comparisons, whoever they were."
    )
    threshold: float = Field(title="Threshold", description="Score the match had to reach.")
    threshold_rule: str = Field(title="Rule", description="every-group or pooled.")
    target_fmr: float = Field(title="Target FMR", description="Per comparison.")
    card_version: str = Field(title="Card version", description="Calibration card it was set on.")
    samples_used: int = Field(title="Samples", description="Samples of the track matched.")
    agreeing_samples: int = Field(title="Agreeing", description="Samples voting for the subject.")
    capture_time: datetime = Field(title="Captured", description="When the evidence was captured.")
    decided_at: datetime = Field(title="Decided", description="When the worker raised the alert.")
    model_id: str = Field(title="Model", description="Embedding model of the match.")
    crop_jpeg: bytes = Field(title="Evidence", description="The best face crop, JPEG.")

    @field_validator("crop_jpeg", mode="before")
    @classmethod
    def _crop(cls, value: object) -> object:
        return base64.b64decode(value, validate=True) if isinstance(value, str) else value

    def to_json(self) -> bytes:
        data = self.model_dump(mode="json", exclude={"crop_jpeg"})
        data["crop_jpeg"] = base64.b64encode(self.crop_jpeg).decode("ascii")
        return json.dumps(data, separators=(",", ":")).encode()


def parse_wire(model: type[_T], data: bytes, where: str) -> _T:
    """``data`` validated as ``model``, or an InputError naming ``where``."""
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        problem = error.errors()[0]
        location = ".".join(str(part) for part in problem["loc"]) or "value"
        raise InputError(f"{where}: {location}: {problem['msg']}") from error


def alert_aad(namespace: str, alert_id: str) -> bytes:
    """Associated data binding an encrypted alert to its namespace and id."""
    return f"{namespace}/alert/{alert_id}".encode()


def seal_alert(alert: ClusterAlert, cipher: BlobCipher, namespace: str) -> bytes:
    """The alert as encrypted bytes (the stream and the disk buffer hold only these)."""
    return cipher.encrypt(alert.to_json(), alert_aad(namespace, alert.alert_id))


def open_alert(blob: bytes, alert_id: str, cipher: BlobCipher, namespace: str) -> ClusterAlert:
    """Decrypt and validate an alert published under ``alert_id`` (its Nats-Msg-Id)."""
    where = f"alert {alert_id}"
    plain = cipher.decrypt(blob, alert_aad(namespace, alert_id), name=where)
    alert = parse_wire(ClusterAlert, plain, where)
    if alert.alert_id != alert_id:
        raise InputError(f"{where}: the message holds alert {alert.alert_id}")
    return alert
