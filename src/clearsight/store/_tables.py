"""The tables, as SQLAlchemy 2 declarative models. Migrations live in ``migrations/``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from clearsight.store._types import UTCDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


def _id() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = _id()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Comma-separated sites whose alerts the user may review; '' = every site.
    sites: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Who created the account or last changed its role or sites, and when: until a second
    # admin approves that (approved_by), the account holds no power (store/_accounts.py).
    powers_set_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    powers_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when an admin resets the password: the user must choose a new one at sign-in.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored. Scopes narrow the owner's role."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebSession(Base):
    """A signed-in browser; the cookie carries a secret whose SHA-256 is the id."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SetupToken(Base):
    """The one-time link that creates the first admin (there is no default password)."""

    __tablename__ = "setup_tokens"
    id: Mapped[str] = _id()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Camera(Base):
    __tablename__ = "cameras"
    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    site: Mapped[str] = mapped_column(String(100), default="")
    vendor: Mapped[str | None] = mapped_column(String(100), nullable=True)
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    firmware: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="stopped")
    analysed_fps: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_frame_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When the worker next tries a camera that is reconnecting or in error.
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WatchlistEntry(Base):
    __tablename__ = "watchlist_entries"
    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(200))
    reason_category: Mapped[str] = mapped_column(String(32))
    incident_ref: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text)
    enrolled_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    attested_not_minor: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The one site the entry is matched at; '' = every site.
    site: Mapped[str] = mapped_column(String(100), default="", server_default="")
    photos: Mapped[list[ReferencePhoto]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        order_by="ReferencePhoto.created_at",
        lazy="selectin",
    )


class ReferencePhoto(Base):
    """A reference face: the image and its template, both sealed by the blob cipher."""

    __tablename__ = "reference_photos"
    id: Mapped[str] = _id()
    entry_id: Mapped[str] = mapped_column(
        ForeignKey("watchlist_entries.id", ondelete="CASCADE"), index=True
    )
    # Deferred: lists of entries and alerts never pull image bytes; opening one does.
    image: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    template: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    model_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entry: Mapped[WatchlistEntry] = relationship(back_populates="photos")


class AlertRecord(Base):
    __tablename__ = "alerts"
    id: Mapped[str] = _id()
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    camera_id: Mapped[str | None] = mapped_column(ForeignKey("cameras.id"), nullable=True)
    source: Mapped[str] = mapped_column(Text)
    site: Mapped[str] = mapped_column(String(100), default="", server_default="", index=True)
    track_id: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[str] = mapped_column(ForeignKey("watchlist_entries.id"), index=True)
    subject_name: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    estimated_fmr: Mapped[float] = mapped_column(Float)
    # The worst group's rate (estimated_fmr) with its 95% interval, that group and the pooled
    # rate; then the operating point the alert was decided under. NULL on alerts stored
    # before operating points were recorded (migration 0003).
    estimated_fmr_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    estimated_fmr_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    estimated_fmr_group: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pooled_fmr: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold_rule: Mapped[str | None] = mapped_column(String(32), nullable=True)
    target_fmr: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    card_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    samples_used: Mapped[int] = mapped_column(Integer)
    agreeing_samples: Mapped[int] = mapped_column(Integer)
    capture_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    crops: Mapped[list[AlertCrop]] = relationship(
        cascade="all, delete-orphan", order_by="AlertCrop.position", lazy="selectin"
    )


class AlertCrop(Base):
    """A probe face crop from the alert's track, sealed by the blob cipher."""

    __tablename__ = "alert_crops"
    id: Mapped[str] = _id()
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    image: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class AlertDelivery(Base):
    """One confirmed alert's delivery to one sink (by the sink's configured name): the
    attempts so far, when it is next due, and how it ended. No row yet means never tried."""

    __tablename__ = "alert_deliveries"
    alert_id: Mapped[str] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    sink: Mapped[str] = mapped_column(String(100), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the sink's retry policy gave up (max_attempts); the alert is not sent there.
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReviewDecisionRecord(Base):
    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("alert_id", "reviewer_id", name="uq_decision_per_reviewer"),)
    id: Mapped[str] = _id()
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditRecord(Base):
    """One link of the hash chain. Rows are only ever inserted."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(128), index=True)
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last sequence number and hash. Appends lock it, so the chain is serial."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
