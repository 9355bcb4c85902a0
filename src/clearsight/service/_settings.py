"""The deployment's one configuration root: ``DeploymentConfig`` and its service sections.

One TOML or JSON file holds every setting a deployment has: the pipeline's sections at the
top (so a pipeline config file is a deployment config file), then ``[service]``,
``[review]``, ``[retention]``, ``[notify]``, ``[privacy]`` and ``[cluster]``. Each value
lives in one place: the retention periods the upkeep applies are the ones the public sign
and the assessment state, and an unreviewed alert expires after ``retention.
pending_expiry_hours`` both in the review queue and in the retention run.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from clearsight.cluster import ClusterConfig
from clearsight.config import ClearsightConfig
from clearsight.notify import NotifyConfig
from clearsight.policy import RetentionPolicy
from clearsight.privacy import PrivacyConfig

# The validation context key the loader sets to the deployment file's folder.
DEPLOYMENT_DIR = "deployment_dir"


class ServiceSettings(BaseModel):
    """How the web service runs: where its data is, where it listens, its limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(
        Path("clearsight-data"),
        title="Data directory",
        description="Holds the SQLite database (unless database_url is set) and nothing else "
        "the service needs to find again; a relative path in a config file is read from the "
        "file's folder.",
    )
    database_url: str | None = Field(
        None,
        title="Database URL",
        description="SQLAlchemy URL of a PostgreSQL database (postgresql+psycopg://...); None "
        "uses SQLite in the data directory.",
    )
    host: str = Field(
        "127.0.0.1",
        title="Listen address",
        description="Address the server binds; the default keeps it off the network.",
    )
    port: int = Field(8080, ge=1, le=65535, title="Port", description="TCP port to listen on.")
    public_url: str | None = Field(
        None,
        title="Public URL",
        description="Base URL printed in the set-up link; None uses http://host:port.",
    )
    session_ttl_minutes: int = Field(
        480, ge=5, title="Session lifetime (min)", description="A sign-in lasts this long."
    )
    setup_token_ttl_minutes: int = Field(
        1440,
        ge=5,
        title="Set-up link lifetime (min)",
        description="The one-time first-admin link stops working after this.",
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        title="Failed logins allowed",
        description="Failed sign-ins per user name and address within the window before "
        "further attempts are refused with 429.",
    )
    login_window_s: int = Field(
        900, ge=1, title="Login window (s)", description="Window the failure count covers."
    )
    max_upload_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1024,
        title="Largest image upload (bytes)",
        description="A single uploaded photo larger than this is refused with 413.",
    )
    max_request_bytes: int = Field(
        40 * 1024 * 1024,
        ge=1024,
        title="Largest request body (bytes)",
        description="Requests with a larger body are refused with 413 before they are read.",
    )
    secure_cookies: bool = Field(
        False,
        title="Secure cookies",
        description="Mark the session and sign-in cookies Secure (set when the service is "
        "served over HTTPS).",
    )
    trusted_proxies: tuple[str, ...] = Field(
        (),
        title="Trusted proxies",
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto headers are "
        "believed. Without any, those headers are ignored, so the sign-in limiter and the "
        "audit log see the real peer address.",
    )
    key_file: Path | None = Field(
        None,
        title="Encryption key file",
        description="Key ring for encrypting face images and templates at rest; None uses "
        "$CLEARSIGHT_KEY or $CLEARSIGHT_KEY_FILE when set.",
    )
    allow_unencrypted: bool = Field(
        False,
        title="Allow no encryption key",
        description="Start without an encryption key, storing face images and templates in "
        "clear (for trials only); without it `serve` refuses to start keyless.",
    )
    maintenance_interval_s: float = Field(
        5.0,
        ge=0,
        title="Maintenance interval (s)",
        description="How often expired alerts and watchlist entries are settled, the "
        "retention policy applied and the notification outbox retried; 0 turns the "
        "background loop off.",
    )
    audit_anchor_file: Path | None = Field(
        None,
        title="Audit anchor file",
        description="Each upkeep round logs the audit chain head (sequence and hash) and, "
        "when this is set, appends '<time> <seq> <hash>' here when it changed; kept off the "
        "database host, it shows a rewrite of the whole chain (`audit verify --anchor`).",
    )
    cameras: bool = Field(
        True,
        title="Run cameras",
        description="Run a worker process for each enabled camera, with the pipeline "
        "sections of this file.",
    )
    demo_camera: bool = Field(
        False,
        title="Demo camera",
        description="Add a camera replaying the synthetic demo clip (built in the data dir).",
    )
    join_cluster: bool = Field(
        False,
        title="Join the cluster",
        description="Store the cluster's alerts (from [cluster]'s NATS servers) for review "
        "and publish each site's approved watchlist to its workers; needs an encryption key.",
    )
    cluster_model_id: str | None = Field(
        None,
        title="Cluster template model",
        description="Embedding model of the templates published to workers; None uses the "
        "model the pipeline's [embed] section names.",
    )

    @field_validator("data_dir", "key_file", "audit_anchor_file", mode="after")
    @classmethod
    def _beside_the_file(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        """``~`` expanded; a relative path in a config file means one beside that file,
        wherever the command runs (flags give paths from the working directory)."""
        if path is None:
            return None
        path = path.expanduser()
        folder = (info.context or {}).get(DEPLOYMENT_DIR)
        return path if path.is_absolute() or folder is None else Path(folder) / path

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class ReviewSettings(BaseModel):
    """The review of alerts and the lifetime of watchlist entries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    required_confirmations: int = Field(
        2,
        ge=1,
        le=10,
        title="Confirmations needed",
        description="Distinct reviewers who must confirm an alert before it is confirmed "
        "(how long an alert waits for them is retention.pending_expiry_hours).",
    )
    watchlist_default_expiry_days: int = Field(
        730,
        ge=1,
        title="Default entry lifetime (days)",
        description="Expiry given to a watchlist entry that does not state one.",
    )
    watchlist_max_expiry_days: int = Field(
        730,
        ge=1,
        title="Longest entry lifetime (days)",
        description="No watchlist entry may be set to expire later than this after enrolment.",
    )


class DeploymentConfig(ClearsightConfig):
    """Every setting of a deployment: the pipeline's sections and the service's."""

    service: ServiceSettings = Field(
        default_factory=ServiceSettings,
        title="Service",
        description="The web service (`clearsight serve`): storage, address, limits, cameras.",
    )
    review: ReviewSettings = Field(
        default_factory=ReviewSettings,
        title="Review",
        description="Confirmations an alert needs and watchlist entry lifetimes.",
    )
    retention: RetentionPolicy = Field(
        default_factory=RetentionPolicy,
        title="Retention",
        description="How long each kind of record is kept: applied by the service's upkeep "
        "and `clearsight retention run`, and stated by the public sign and the assessment.",
    )
    notify: NotifyConfig = Field(
        default_factory=NotifyConfig,
        title="Notifications",
        description="Where confirmed alerts are sent.",
    )
    privacy: PrivacyConfig = Field(
        default_factory=PrivacyConfig,
        title="Privacy",
        description="Operator, purpose and contact that the sign and the assessment give.",
    )
    cluster: ClusterConfig = Field(
        default_factory=ClusterConfig,
        title="Cluster",
        description="NATS scale-out: read by `clearsight worker` and by the service when "
        "service.join_cluster is set.",
    )

    @property
    def pipeline(self) -> ClearsightConfig:
        """The pipeline's sections alone: what camera processes get (no service secrets)."""
        return ClearsightConfig(
            **{name: getattr(self, name) for name in ClearsightConfig.model_fields}
        )

    @property
    def review_window(self) -> timedelta:
        """How long a pending alert waits for its reviewers before it expires."""
        return timedelta(hours=self.retention.pending_expiry_hours)
