"""The verification state machine of an alert: pending -> confirmed / rejected / expired.

Acting on a person needs agreement, doubt needs only one voice: an alert is confirmed once
``required_confirmations`` distinct reviewers confirm it and nobody rejected it; one reject
rejects it; "unsure" records the reviewer's doubt and leaves it pending for others. A pending
alert nobody settled within the review window expires. Settled alerts never change again.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from clearsight.errors import PolicyError


class AlertStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Decision(enum.StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"
    UNSURE = "unsure"


@dataclass(frozen=True)
class ReviewPolicy:
    """How many distinct reviewers must confirm, and how long an alert waits for them."""

    required_confirmations: int = 2
    review_window: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.required_confirmations < 1:
            raise ValueError("ReviewPolicy.required_confirmations must be at least 1")
        if self.review_window <= timedelta(0):
            raise ValueError("ReviewPolicy.review_window must be positive")


@dataclass(frozen=True)
class CastDecision:
    """One reviewer's decision on one alert, as the state machine sees it."""

    reviewer_id: str
    decision: Decision


def status_after(decisions: Sequence[CastDecision], policy: ReviewPolicy) -> AlertStatus:
    """The status the decisions so far put a pending alert in."""
    if any(d.decision is Decision.REJECT for d in decisions):
        return AlertStatus.REJECTED
    confirmers = {d.reviewer_id for d in decisions if d.decision is Decision.CONFIRM}
    if len(confirmers) >= policy.required_confirmations:
        return AlertStatus.CONFIRMED
    return AlertStatus.PENDING


def apply_decision(
    status: AlertStatus,
    earlier: Sequence[CastDecision],
    new: CastDecision,
    policy: ReviewPolicy,
) -> AlertStatus:
    """The alert's status after ``new``; PolicyError if the decision is not allowed.

    A settled alert takes no more decisions, and each reviewer decides an alert once, so two
    confirmations always come from two people.
    """
    if status is not AlertStatus.PENDING:
        raise PolicyError(f"alert is already {status.value}; no more decisions are taken")
    if any(d.reviewer_id == new.reviewer_id for d in earlier):
        raise PolicyError("you have already decided this alert; a second reviewer must decide")
    return status_after([*earlier, new], policy)


def is_expired(
    status: AlertStatus, received_at: datetime, now: datetime, policy: ReviewPolicy
) -> bool:
    """Whether a pending alert has waited longer than the review window."""
    return status is AlertStatus.PENDING and now - received_at > policy.review_window
