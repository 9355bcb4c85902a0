"""The one protocol every alert sink follows, and the settings every sink shares.

A sink turns a confirmed alert's message into a delivery somewhere (a webhook, a broker, a
mailbox) and reports how it went as a ``Delivery``; it never raises for a failed delivery,
so one sink's trouble cannot stop another's. Retrying is not the sink's business: the outbox
(``deliver_outbox``) calls ``send`` again after the sink's own backoff.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clearsight.notify._message import ConfirmedAlertMessage

# Sink names go into the store (alert_deliveries.sink) and the audit log.
SINK_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


@dataclass(frozen=True)
class Delivery:
    """How one attempt to deliver one alert to one sink went.

    ok: the sink accepted the message; detail: what happened, in words (the error when not
    ok); retry_after: when the receiver asked to be tried again no sooner than this (an HTTP
    ``Retry-After``), else None and the sink's backoff decides.
    """

    ok: bool
    detail: str = ""
    retry_after: timedelta | None = None

    @classmethod
    def sent(cls, detail: str = "") -> Delivery:
        return cls(True, detail)

    @classmethod
    def failed(cls, error: str, retry_after: timedelta | None = None) -> Delivery:
        return cls(False, error, retry_after)


class AlertSink(ABC):
    """Somewhere confirmed alerts go. ``name`` is the configured sink's name."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def send(self, message: ConfirmedAlertMessage) -> Delivery:
        """Deliver ``message`` once; a failure is returned, never raised."""


class RetryPolicy(BaseModel):
    """When a sink that failed is tried again: exponential backoff, per sink and alert."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_backoff_s: float = Field(
        10.0,
        gt=0,
        le=86_400,
        title="First backoff (s)",
        description="Wait after the first failed attempt before the next one.",
    )
    multiplier: float = Field(
        2.0,
        ge=1,
        le=10,
        title="Backoff multiplier",
        description="Each further failure multiplies the wait by this (1 keeps it constant).",
    )
    max_backoff_s: float = Field(
        900.0,
        gt=0,
        le=7 * 86_400,
        title="Longest backoff (s)",
        description="The wait never grows past this.",
    )
    max_attempts: int | None = Field(
        None,
        ge=1,
        le=10_000,
        title="Most attempts",
        description="Give up on an alert for this sink after this many failed attempts (the "
        "audit log records it); None keeps trying, so every confirmed alert is delivered at "
        "least once.",
    )

    @model_validator(mode="after")
    def _longest_not_below_first(self) -> RetryPolicy:
        if self.max_backoff_s < self.initial_backoff_s:
            raise ValueError(
                f"max_backoff_s ({self.max_backoff_s}) is below initial_backoff_s "
                f"({self.initial_backoff_s})"
            )
        return self

    def backoff(self, failures: int) -> timedelta:
        """The wait after ``failures`` failed attempts in a row (1 for the first)."""
        # Capped so a long-failing sink cannot overflow the float (10**200 is still finite).
        exponent = min(max(0, failures - 1), 200)
        seconds = self.initial_backoff_s * self.multiplier**exponent
        return timedelta(seconds=min(seconds, self.max_backoff_s))

    def gives_up_after(self, failures: int) -> bool:
        return self.max_attempts is not None and failures >= self.max_attempts


class SinkConfig(BaseModel):
    """What every sink's settings hold; each sink type adds its own fields and a literal
    ``type``. A subclass in ``clearsight.notify.sinks`` is a sink type (see its README)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(title="Sink type", description="Which kind of sink this is.")
    name: str = Field(
        pattern=SINK_NAME_PATTERN,
        title="Sink name",
        description="Unique among the sinks; recorded with each delivery and in the audit log. "
        "Renaming a sink makes it a new one (it is sent the alerts not yet delivered to it).",
    )
    timeout_s: float = Field(
        5.0,
        gt=0,
        le=60,
        title="Delivery timeout (s)",
        description="How long one delivery attempt may take before it counts as failed.",
    )
    retry: RetryPolicy = Field(
        default_factory=RetryPolicy,
        title="Retry",
        description="When a failed delivery to this sink is tried again.",
    )

    def open(self) -> AlertSink:
        """The sink these settings describe (no connection is made until ``send``)."""
        raise NotImplementedError(f"{type(self).__name__} does not open a sink")
