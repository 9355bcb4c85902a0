"""Request and response bodies of the JSON API (validated; unknown fields are refused)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from clearsight.fleet import assess_camera
from clearsight.review import Decision
from clearsight.store import AlertRecord, Camera, ReasonCategory, Role, WatchlistEntry
from clearsight.web._fmr_words import describe_estimate

MAX_STORED_INT = 2**31 - 1
"""The largest integer every supported database stores (PostgreSQL's INTEGER); anything a
client sends that ends up in an integer column is bounded by it, so it is a 422, not a 5xx."""

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def within_storable_range(value: datetime) -> datetime:
    """A date-time the service can convert to UTC and store: 1900-2999 (year 1 or 9999 with
    an offset would overflow when converted)."""
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("date-time out of range; use a year from 1900 to 2999") from error
    if not EARLIEST <= in_utc <= LATEST:
        raise ValueError("date-time out of range; use a year from 1900 to 2999")
    return value


def _not_a_number(value: Any) -> Any:
    """Pydantic would read ``0.5`` or ``"1700000000"`` as a Unix time; the API documents ISO
    8601 date-times only."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(value, str):
        try:
            float(value)
            numeric = True
        except ValueError:
            pass
    if numeric:
        raise ValueError("use an ISO 8601 date-time with a time zone, e.g. 2026-01-01T00:00:00Z")
    return value


Instant = Annotated[
    AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(within_storable_range)
]
"""A date-time with a time zone, 1900-2999: every date a client sends is of this type."""


def reject_lone_surrogates(value: Any, where: str = "body") -> None:
    """ValueError naming the field when a string holds a lone surrogate (JSON allows
    ``"\\ud800"``, UTF-8 and the databases do not)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(f"{where}: not valid Unicode text (a lone surrogate)") from error
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_lone_surrogates(key, where)
            reject_lone_surrogates(item, f"{where}.{key}" if isinstance(key, str) else where)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            reject_lone_surrogates(item, f"{where}[{index}]")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        reject_lone_surrogates(data)
        return data


class Input(_Body):
    """A request body: types are taken as the schema says (``0`` is not ``false``, ``"5"`` is
    not 5). Dates and enums arrive as JSON strings, so those fields say ``strict=False``."""

    model_config = ConfigDict(extra="forbid", strict=True)


Base64Png = Annotated[
    str,
    Field(
        min_length=4,
        max_length=8_000_000,
        pattern=r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
    ),
]


class OperatingPointBody(Input):
    """The threshold an alert was decided at, and how it was set."""

    model_id: str = Field(max_length=100, title="Model", description="Embedding model id.")
    card_version: str = Field(
        max_length=64, title="Card version", description="Calibration card version."
    )
    target_fmr: float = Field(gt=0, lt=1, title="Target FMR", description="Per comparison.")
    rule: Literal["every-group", "pooled"] = Field(
        title="Rule", description="every-group (default) or pooled."
    )
    threshold: float = Field(ge=-1, le=1, title="Threshold", description="Score to reach.")


class AlertIn(Input):
    idempotency_key: str = Field(
        min_length=1,
        max_length=128,
        title="Idempotency key",
        description="Same key, same alert: redelivery changes nothing.",
    )
    subject_id: str = Field(
        min_length=1,
        max_length=64,
        title="Watchlist entry id",
        description="The approved entry the track matched.",
    )
    source: str = Field(
        min_length=1,
        max_length=500,
        title="Source",
        description="Camera name or stream the track came from.",
    )
    camera_id: str | None = Field(
        None,
        max_length=64,
        title="Camera id",
        description="The registered camera, when there is one.",
    )
    track_id: int = Field(
        ge=0, le=MAX_STORED_INT, title="Track id", description="The tracker's id of the person."
    )
    score: float = Field(ge=-1, le=1, title="Score", description="Cosine similarity.")
    estimated_fmr: float = Field(
        ge=0,
        le=1,
        title="Estimated FMR",
        description="False match rate at this score of the group the model confuses most "
        "(calibration card).",
    )
    estimated_fmr_low: float = Field(
        ge=0, le=1, title="FMR low", description="Lower end of its 95% interval."
    )
    estimated_fmr_high: float = Field(
        ge=0, le=1, title="FMR high", description="Upper end of its 95% interval."
    )
    estimated_fmr_group: str = Field(
        max_length=200, title="FMR group", description="The group the rate is of."
    )
    pooled_fmr: float = Field(
        ge=0, le=1, title="Pooled FMR", description="Rate over all impostor comparisons."
    )
    operating_point: OperatingPointBody = Field(
        title="Operating point", description="What the alert was decided under."
    )
    capture_time: Instant = Field(
        strict=False,
        title="Capture time",
        description="With a time zone; a year from 1900 to 2999.",
    )
    samples_used: int = Field(
        ge=1, le=MAX_STORED_INT, title="Samples used", description="Faces of the track used."
    )
    agreeing_samples: int = Field(
        ge=1,
        le=MAX_STORED_INT,
        title="Agreeing samples",
        description="Faces that agreed on this subject; at most samples_used.",
    )
    crops_png_base64: list[Base64Png] = Field(
        min_length=1,
        max_length=16,
        title="Probe crops",
        description="Face crops of the track (PNG or JPEG, base64), best first.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> AlertIn:
        if self.agreeing_samples > self.samples_used:
            raise ValueError(
                f"agreeing_samples ({self.agreeing_samples}) cannot exceed samples_used "
                f"({self.samples_used})"
            )
        return self


class AlertReceipt(_Body):
    """What the camera side learns: the alert is stored. Its review status is for reviewers."""

    id: str
    idempotency_key: str
    created: bool


class AlertOut(_Body):
    id: str
    idempotency_key: str
    status: str
    subject_id: str
    subject_name: str
    source: str
    site: str
    camera_id: str | None
    track_id: int
    score: float
    estimated_fmr: float
    estimated_fmr_low: float | None
    estimated_fmr_high: float | None
    estimated_fmr_group: str | None
    pooled_fmr: float | None
    estimated_fmr_meaning: str
    operating_point: OperatingPointBody | None
    capture_time: datetime
    received_at: datetime
    settled_at: datetime | None
    crops: int

    @classmethod
    def of(cls, record: AlertRecord) -> AlertOut:
        return cls(
            id=record.id,
            idempotency_key=record.idempotency_key,
            status=record.status,
            subject_id=record.subject_id,
            subject_name=record.subject_name,
            source=record.source,
            site=record.site,
            camera_id=record.camera_id,
            track_id=record.track_id,
            score=record.score,
            estimated_fmr=record.estimated_fmr,
            estimated_fmr_low=record.estimated_fmr_low,
            estimated_fmr_high=record.estimated_fmr_high,
            estimated_fmr_group=record.estimated_fmr_group,
            pooled_fmr=record.pooled_fmr,
            estimated_fmr_meaning=describe_estimate(record),
            operating_point=None
            if record.threshold is None
            else OperatingPointBody(
                model_id=record.model_id or "",
                card_version=record.card_version or "",
                target_fmr=record.target_fmr or 1e-4,
                rule="pooled" if record.threshold_rule == "pooled" else "every-group",
                threshold=record.threshold,
            ),
            capture_time=record.capture_time,
            received_at=record.received_at,
            settled_at=record.settled_at,
            crops=len(record.crops),
        )


class DecisionIn(Input):
    decision: Decision = Field(
        strict=False, title="Decision", description="confirm, reject or unsure."
    )
    comment: str = Field(
        min_length=1,
        max_length=2000,
        title="Comment",
        description="Why; required for every decision.",
    )


class DecisionOut(_Body):
    decision_id: str
    alert_status: str


class UserIn(Input):
    username: str = Field(
        min_length=2,
        max_length=63,
        pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$",
        title="User name",
        description="Lower-case letters, digits, '.', '_' or '-'.",
    )
    password: str = Field(
        min_length=12, max_length=1000, title="Password", description="At least 12 characters."
    )
    role: Role = Field(
        strict=False,
        title="Role",
        description="admin, enroller, reviewer, auditor or privacy_officer.",
    )


class UserOut(_Body):
    id: str
    username: str
    role: str
    active: bool
    sites: list[str] = Field(
        default_factory=list,
        title="Sites",
        description="Sites whose alerts the user sees; [] = all.",
    )
    created_by: str | None = Field(None, title="Created by", description="Who made the account.")
    set_up_by: str | None = Field(
        None,
        title="Set up by",
        description="Who created it or last changed its role or sites.",
    )
    approved_by: str | None = Field(
        None,
        title="Approved by",
        description="The second admin who approved its role and sites; null: pending, the "
        "account holds no power yet.",
    )


class UserSitesIn(Input):
    sites: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]] = Field(
        max_length=200,
        title="Sites",
        description="Sites whose alerts the user may see and decide; an empty list means every site.",
    )


class CameraIn(Input):
    name: str = Field(
        min_length=1, max_length=100, pattern=r"\S", title="Name", description="Unique name."
    )
    source: str = Field(
        min_length=1,
        max_length=2000,
        pattern=r"\S",
        title="Source",
        description="Stream URL, device or video file path.",
    )
    enabled: bool = Field(True, title="Enabled", description="Whether a worker runs it.")
    site: str = Field("", max_length=100, title="Site", description="Where it is.")
    vendor: str | None = Field(None, max_length=100, title="Vendor", description="Maker.")
    model: str | None = Field(None, max_length=100, title="Model", description="Model name.")
    firmware: str | None = Field(
        None, max_length=100, title="Firmware", description="Firmware version."
    )


class CameraPatch(Input):
    name: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=r"\S",
        title="Name",
        description="Unique name.",
    )
    source: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        pattern=r"\S",
        title="Source",
        description="Stream URL, device or video file path.",
    )
    enabled: bool | None = Field(None, title="Enabled", description="Whether a worker runs it.")
    site: str | None = Field(None, max_length=100, title="Site", description="Where it is.")
    vendor: str | None = Field(None, max_length=100, title="Vendor", description="Maker.")
    model: str | None = Field(None, max_length=100, title="Model", description="Model name.")
    firmware: str | None = Field(
        None, max_length=100, title="Firmware", description="Firmware version."
    )


class VendorRiskOut(_Body):
    """A registered camera's vendor risk, from the same data as `clearsight fleet audit`."""

    vendor: str
    covered: bool
    coverage: str
    advisories: list[str]
    possible_advisories: list[str]
    risk: int
    level: str
    reasons: list[str]

    @classmethod
    def of(cls, camera: Camera) -> VendorRiskOut | None:
        if not camera.vendor:
            return None
        assessment = assess_camera(camera.vendor, camera.model or "", camera.firmware or "")
        return cls(
            vendor=assessment.vendor.name,
            covered=assessment.covered,
            coverage=str(assessment.coverage),
            advisories=[a.id for a in assessment.advisories],
            possible_advisories=[a.id for a in assessment.possible_advisories],
            risk=assessment.risk,
            level=assessment.level,
            reasons=list(assessment.reasons),
        )


class CameraOut(_Body):
    id: str
    name: str
    source: str
    enabled: bool
    site: str
    vendor: str | None
    model: str | None
    firmware: str | None
    status: str
    analysed_fps: float | None
    last_frame_at: datetime | None
    last_error: str | None
    vendor_risk: VendorRiskOut | None = Field(
        None, description="Vendor coverage, known exploited advisories and risk (fleet audit)."
    )

    @classmethod
    def of(cls, camera: Camera) -> CameraOut:
        return cls(
            id=camera.id,
            name=camera.name,
            source=camera.source,
            enabled=camera.enabled,
            site=camera.site,
            vendor=camera.vendor,
            model=camera.model,
            firmware=camera.firmware,
            status=camera.status,
            analysed_fps=camera.analysed_fps,
            last_frame_at=camera.last_frame_at,
            last_error=camera.last_error,
            vendor_risk=VendorRiskOut.of(camera),
        )


class EntryOut(_Body):
    id: str
    name: str
    reason_category: ReasonCategory
    incident_ref: str
    status: str
    enrolled_by: str
    approved_by: str | None
    created_at: datetime
    expires_at: datetime
    photos: list[str]
    site: str = ""

    @classmethod
    def of(cls, entry: WatchlistEntry) -> EntryOut:
        return cls(
            id=entry.id,
            name=entry.name,
            reason_category=ReasonCategory(entry.reason_category),
            incident_ref=entry.incident_ref,
            status=entry.status,
            enrolled_by=entry.enrolled_by,
            approved_by=entry.approved_by,
            created_at=entry.created_at,
            expires_at=entry.expires_at,
            photos=[p.id for p in entry.photos],
            site=entry.site,
        )


class ApproveIn(Input):
    reason: str = Field("", max_length=2000, title="Reason", description="Why it is approved.")


class AuditEntryOut(_Body):
    seq: int
    at: datetime
    actor: str
    action: str
    record_type: str
    record_id: str
    reason: str
    details: dict[str, str]
    hash: str


class VerifyOut(_Body):
    ok: bool
    entries: int
    first_broken_seq: int | None
    message: str
    record_problems: list[str] = Field(
        default_factory=list,
        description="Alerts, entries or decisions without their audit entry, or audit entries "
        "whose record is gone without an audited erasure (first 100).",
    )
    head_seq: int = Field(0, description="The chain head's sequence number (anchor it).")
    head_hash: str = Field("", description="The chain head's hash (anchor it).")
