from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class RetentionPolicy(BaseModel):
    """How long each kind of record is kept. Non-matched faces are never stored at all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rejected_evidence_hours: float = Field(
        24.0,
        ge=0,
        le=24 * 30,
        title="Rejected-alert evidence kept (hours)",
        description="After a reviewer rejects an alert, its face images and templates are "
        "deleted within this time; a non-biometric record of the alert and decision stays in "
        "the audit log.",
    )
    confirmed_evidence_days: float = Field(
        30.0,
        ge=0,
        le=3650,
        title="Confirmed-alert evidence kept (days)",
        description="Evidence of a confirmed alert is deleted this long after confirmation, unless "
        "the record is on hold (for example needed for a proceeding).",
    )
    pending_expiry_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 30,
        title="Unreviewed alerts expire after (hours)",
        description="An alert nobody has reviewed this long after it was raised expires and its "
        "evidence is deleted: an unchecked match is never acted on later.",
    )
    unsure_expiry_hours: float = Field(
        72.0,
        gt=0,
        le=24 * 30,
        title="Alerts marked unsure expire after (hours)",
        description="An alert a reviewer marked unsure (sent for a second opinion) expires this "
        "long after that decision if nobody confirms or rejects it.",
    )
    expired_evidence_hours: float = Field(
        0.0,
        ge=0,
        le=24 * 30,
        title="Expired-alert evidence kept (hours)",
        description="Evidence of an alert that expired unreviewed is deleted after this time "
        "(0: at once).",
    )


class RecordKind(StrEnum):
    ALERT = "alert"
    WATCHLIST_ENTRY = "watchlist_entry"


class AlertStatus(StrEnum):
    PENDING = "pending"
    UNSURE = "unsure"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    EXPIRED = "expired"


class RetentionAction(StrEnum):
    DELETE_EVIDENCE = "delete_evidence"
    """Delete the alert's face images and templates; keep its non-biometric record."""
    EXPIRE_ALERT = "expire_alert"
    """Mark an undecided alert expired and delete its evidence."""
    REMOVE_WATCHLIST_ENTRY = "remove_watchlist_entry"
    """Delete a watchlist entry (reference photos and templates) at its expiry."""


@dataclass(frozen=True)
class RetentionRecord:
    """What the retention policy needs to know about one stored record (no biometrics).

    ``decided_at`` is when an alert's current status was set (None while pending);
    ``expires_at`` is a watchlist entry's end date; ``has_evidence`` says whether the alert's
    images and templates are still stored; ``on_hold`` keeps a record past its time.
    """

    kind: RecordKind
    record_id: str
    created_at: datetime
    status: AlertStatus | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    has_evidence: bool = True
    on_hold: bool = False

    def __post_init__(self) -> None:
        for name in ("created_at", "decided_at", "expires_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{self.kind} {self.record_id}: {name} must be timezone-aware")
        if self.kind is RecordKind.ALERT:
            if self.status is None:
                raise ValueError(f"alert {self.record_id}: status is required")
            if self.status is not AlertStatus.PENDING and self.decided_at is None:
                raise ValueError(f"alert {self.record_id}: status {self.status} needs decided_at")
        elif self.status is not None:
            raise ValueError(f"watchlist entry {self.record_id}: has no review status")


@dataclass(frozen=True)
class PlannedDeletion:
    """One thing to delete, and why."""

    record: RetentionRecord
    action: RetentionAction
    due_at: datetime
    reason: str


@dataclass(frozen=True)
class DeletionPlan:
    """Everything due for deletion at ``now``, earliest first; ``held`` lists records that
    are due but kept because they are on hold."""

    now: datetime
    deletions: tuple[PlannedDeletion, ...]
    held: tuple[PlannedDeletion, ...] = ()

    def __len__(self) -> int:
        return len(self.deletions)

    def counts(self) -> dict[RetentionAction, int]:
        totals = dict.fromkeys(RetentionAction, 0)
        for item in self.deletions:
            totals[item.action] += 1
        return totals


def _hours(value: float) -> str:
    return f"{value:g} h" if value < 48 else f"{value / 24:g} days"


def due_deletion(
    record: RetentionRecord, policy: RetentionPolicy
) -> tuple[RetentionAction, datetime, str] | None:
    """When the policy says ``record`` (or its evidence) must go, what to do, and why;
    None if the policy never deletes it in its present state."""
    if record.kind is RecordKind.WATCHLIST_ENTRY:
        if record.expires_at is None:
            return None
        return (
            RetentionAction.REMOVE_WATCHLIST_ENTRY,
            record.expires_at,
            "watchlist entry reached its expiry date",
        )
    status, decided = record.status, record.decided_at
    if status is AlertStatus.PENDING:
        limit = policy.pending_expiry_hours
        due = record.created_at + timedelta(hours=limit)
        return RetentionAction.EXPIRE_ALERT, due, f"not reviewed within {_hours(limit)}"
    if decided is None:
        return None
    if status is AlertStatus.UNSURE:
        limit = policy.unsure_expiry_hours
        return (
            RetentionAction.EXPIRE_ALERT,
            decided + timedelta(hours=limit),
            f"marked unsure and not decided within {_hours(limit)}",
        )
    rules = {
        AlertStatus.REJECTED: (policy.rejected_evidence_hours, "rejected by a reviewer"),
        AlertStatus.CONFIRMED: (policy.confirmed_evidence_days * 24, "confirmed"),
        AlertStatus.EXPIRED: (policy.expired_evidence_hours, "expired unreviewed"),
    }
    if status is None or not record.has_evidence:
        return None
    hours, what = rules[status]
    return (
        RetentionAction.DELETE_EVIDENCE,
        decided + timedelta(hours=hours),
        f"evidence of an alert {what} is kept {_hours(hours)}",
    )


def plan_deletions(
    records: Iterable[RetentionRecord], policy: RetentionPolicy, now: datetime
) -> DeletionPlan:
    """What the policy says must be deleted at ``now``, and why. Pure: touches nothing."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    deletions: list[PlannedDeletion] = []
    held: list[PlannedDeletion] = []
    for record in records:
        due = due_deletion(record, policy)
        if due is None or due[1] > now:
            continue
        item = PlannedDeletion(record, due[0], due[1], due[2])
        (held if record.on_hold else deletions).append(item)

    def order(item: PlannedDeletion) -> tuple[datetime, str]:
        return item.due_at, item.record.record_id

    return DeletionPlan(now, tuple(sorted(deletions, key=order)), tuple(sorted(held, key=order)))


def apply_plan(
    records: Iterable[RetentionRecord], plan: DeletionPlan
) -> tuple[RetentionRecord, ...]:
    """The records as they stand once ``plan`` has been carried out (for dry runs and as the
    reference a store's implementation is tested against)."""
    actions = {(item.record.kind, item.record.record_id): item.action for item in plan.deletions}
    remaining: list[RetentionRecord] = []
    for record in records:
        action = actions.get((record.kind, record.record_id))
        if action is RetentionAction.REMOVE_WATCHLIST_ENTRY:
            continue
        if action is RetentionAction.EXPIRE_ALERT:
            record = dataclasses.replace(
                record, status=AlertStatus.EXPIRED, decided_at=plan.now, has_evidence=False
            )
        elif action is RetentionAction.DELETE_EVIDENCE:
            record = dataclasses.replace(record, has_evidence=False)
        remaining.append(record)
    return tuple(remaining)
