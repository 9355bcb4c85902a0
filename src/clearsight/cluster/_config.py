"""Settings of a cluster member and the names of the NATS objects a namespace uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clearsight.errors import ConfigError

# JetStream KV keys and subject tokens: letters, digits, '-', '_' (no dots: a dot splits
# a subject into tokens, and a site name becomes one token of the alert subject).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_name(value: str, what: str) -> str:
    """``value`` if it can be a KV key and a subject token, else a ConfigError naming it."""
    if not NAME_PATTERN.match(value):
        raise ConfigError(f"{what} {value!r} is invalid: use 1-64 letters, digits, '-' or '_'")
    return value


class ClusterConfig(BaseModel):
    """How a worker or the alert consumer talks to NATS, and the timing of leases."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nats_url: str = Field(
        "nats://127.0.0.1:4222",
        title="NATS server",
        description="URL (or comma-separated URLs) of the NATS servers with JetStream enabled.",
    )
    namespace: str = Field(
        "clearsight",
        title="Namespace",
        description="Prefix of every bucket, stream and subject, so several clusters (or tests) "
        "can share one NATS server without seeing each other.",
    )
    heartbeat_s: float = Field(
        1.0,
        gt=0,
        le=10,
        title="Heartbeat interval (s)",
        description="How often a worker writes its heartbeat (and status) to the workers bucket.",
    )
    dead_after_s: float = Field(
        4.0,
        gt=0,
        le=60,
        title="Worker expiry (s)",
        description="A worker whose heartbeat has not been seen for this long is dead: its "
        "camera leases may be taken over. Must exceed a few heartbeat intervals.",
    )
    lease_tick_s: float = Field(
        0.5,
        gt=0,
        le=10,
        title="Lease check interval (s)",
        description="How often a worker claims free cameras, gives back extras and checks it "
        "still holds its own.",
    )
    release_per_tick: int = Field(
        50,
        ge=1,
        title="Releases per check",
        description="Most cameras a worker above its fair share gives back in one check, so a "
        "new worker is filled gradually rather than all cameras moving at once.",
    )
    fence_after_s: float | None = Field(
        None,
        gt=0,
        title="Stop cameras when cut off (s)",
        description="When set, a worker that has not reached NATS for this long stops its "
        "cameras (another worker may have taken them). Unset: it keeps running them and "
        "buffers alerts on disk, preferring availability to strict exclusivity.",
    )
    outbox_max_alerts: int = Field(
        100_000,
        ge=1,
        title="Disk buffer bound (alerts)",
        description="Most alerts a worker holds on disk while NATS is unreachable; further "
        "alerts are counted as overflow and reported, never silently dropped.",
    )
    publish_batch: int = Field(
        64,
        ge=1,
        le=4096,
        title="Publishes in flight",
        description="Alerts published concurrently from the disk buffer before waiting for "
        "JetStream's acknowledgements.",
    )
    duplicate_window_s: float = Field(
        600.0,
        gt=0,
        title="Duplicate window (s)",
        description="JetStream drops a second alert with the same Nats-Msg-Id seen within this "
        "window; the store's unique key catches any later repeat.",
    )
    stream_max_age_s: float = Field(
        7 * 24 * 3600.0,
        gt=0,
        title="Alert stream retention (s)",
        description="How long alerts stay in the stream (stored or not) for replay and audit.",
    )

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError("use 1-64 letters, digits, '-' or '_'")
        return value


@dataclass(frozen=True)
class ClusterNames:
    """Names of the buckets, stream, subjects and consumer of one namespace."""

    namespace: str

    @property
    def cameras_bucket(self) -> str:
        return f"{self.namespace}_cameras"

    @property
    def leases_bucket(self) -> str:
        return f"{self.namespace}_leases"

    @property
    def workers_bucket(self) -> str:
        return f"{self.namespace}_workers"

    @property
    def watchlists_bucket(self) -> str:
        return f"{self.namespace}_watchlists"

    @property
    def alert_stream(self) -> str:
        return f"{self.namespace}_alerts"

    @property
    def alert_consumer(self) -> str:
        return f"{self.namespace}_store"

    @property
    def alert_subjects(self) -> str:
        return f"{self.namespace}.alerts.>"

    def alert_subject(self, site: str) -> str:
        return f"{self.namespace}.alerts.{site}"

    def watchlist_aad(self, site: str) -> bytes:
        return f"{self.namespace}/watchlist/{site}".encode()


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker process needs beyond the cluster settings: where it keeps its files."""

    data_dir: Path
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    """None: no metrics endpoint; 0: any free port (reported in the heartbeat)."""
