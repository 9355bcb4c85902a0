"""The service's settings: one validated model, built by the CLI or by tests."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clearsight.notify import NotifyConfig
from clearsight.policy import RetentionPolicy


class ServiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(
        title="Data directory",
        description="Holds the SQLite database (unless database_url is set) and nothing else "
        "the service needs to find again.",
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
    required_confirmations: int = Field(
        2,
        ge=1,
        le=10,
        title="Confirmations needed",
        description="Distinct reviewers who must confirm an alert before it is confirmed.",
    )
    review_window_hours: float = Field(
        24.0,
        gt=0,
        title="Review window (h)",
        description="A pending alert nobody settled in this time expires.",
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
        description="Mark cookies Secure (set when the service is served over HTTPS).",
    )
    key_file: Path | None = Field(
        None,
        title="Encryption key file",
        description="Key ring for encrypting face images and templates at rest; None uses "
        "$CLEARSIGHT_KEY or $CLEARSIGHT_KEY_FILE when set, else stores them unencrypted.",
    )
    maintenance_interval_s: float = Field(
        5.0,
        ge=0,
        title="Maintenance interval (s)",
        description="How often expired alerts and watchlist entries are settled and the "
        "notification outbox retried; 0 turns the background loop off.",
    )
    audit_anchor_file: Path | None = Field(
        None,
        title="Audit anchor file",
        description="Each upkeep round logs the audit chain head (sequence and hash) and, "
        "when this is set, appends '<time> <seq> <hash>' here when it changed; kept off the "
        "database host, it shows a rewrite of the whole chain (`audit verify --anchor`).",
    )
    match_target_fmr: float = Field(
        1e-4,
        gt=0,
        lt=1,
        title="Target false match rate",
        description="The cameras' target per comparison (the pipeline config's match."
        "target_fmr); subject-access searches use the same operating point.",
    )
    match_model_id: str | None = Field(
        None,
        title="Camera model",
        description="Embedding model the pipeline config names (the settings page shows its "
        "operating point); None when the service runs without one.",
    )
    match_rule: Literal["every-group", "pooled"] = Field(
        "every-group",
        title="Threshold rule",
        description="The pipeline config's match.rule: every-group (the default) or pooled, "
        "which leaves the groups the model fails most above the target.",
    )
    retention: RetentionPolicy = Field(
        default_factory=RetentionPolicy,
        title="Retention",
        description="How long alert evidence is kept; applied by the upkeep loop.",
    )
    notify: NotifyConfig = Field(
        default_factory=NotifyConfig,
        title="Notifications",
        description="Where confirmed alerts are sent.",
    )

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
