"""Delivering confirmed alerts to every configured sink, each on its own schedule.

Only confirmed alerts reach here: ``deliver_outbox`` reads the store's outbox, which holds
confirmed alerts only, and records each sink's delivery so each sink is sent each alert once.
A failed delivery is tried again at that sink after its backoff; the other sinks are not
touched by it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from clearsight.notify._config import NotifyConfig
from clearsight.notify._message import ConfirmedAlertMessage
from clearsight.notify._sink import AlertSink, Delivery, SinkConfig
from clearsight.store import Database, deliveries

log = logging.getLogger(__name__)


class Notifier:
    """The configured sinks, opened; counts the failed attempts since start."""

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config
        self.settings: dict[str, SinkConfig] = {s.name: s for s in config.effective_sinks()}
        self.sinks: dict[str, AlertSink] = {n: s.open() for n, s in self.settings.items()}
        self.failures = 0
        """Delivery attempts that failed since start (each is retried later)."""

    @property
    def channels(self) -> list[str]:
        """The sinks' names, in configuration order."""
        return list(self.sinks)

    def send(self, message: ConfirmedAlertMessage) -> dict[str, Delivery]:
        """Send ``message`` to every sink once, now, outside the outbox (nothing is recorded
        or retried): each sink's name and how its delivery went."""
        return {name: sink.send(message) for name, sink in self.sinks.items()}


def deliver_outbox(db: Database, notifier: Notifier, now: datetime) -> list[str]:
    """Send each confirmed alert to each sink it is due at; returns the ids of the alerts
    some sink took in this round."""
    names = notifier.channels
    if not names:
        return []
    with db.session() as session:
        work = [
            (ConfirmedAlertMessage.of(item.alert), item.sink, item.failures)
            for item in deliveries.due(session, names, now)
        ]
    delivered: list[str] = []
    failing: set[str] = set()
    for message, name, failures in work:
        if name in failing:
            # One failure per sink and round: a sink that is down is not waited on (its
            # timeout) once per alert; the rest stay due and go in a later round.
            continue
        delivery = notifier.sinks[name].send(message)
        if delivery.ok:
            with db.session() as session:
                deliveries.record_delivered(session, message.alert_id, name, now, names)
            if message.alert_id not in delivered:
                delivered.append(message.alert_id)
            continue
        failing.add(name)
        notifier.failures += 1
        next_at = _next_attempt(notifier.settings[name], failures + 1, delivery, now)
        with db.session() as session:
            deliveries.record_failed(
                session, message.alert_id, name, delivery.detail, now, next_at, names
            )
        log.warning(
            "sending alert %s to sink %s failed (%s); %s",
            message.alert_id,
            name,
            delivery.detail,
            f"next try at {next_at.isoformat()}" if next_at else "gave up",
        )
    return delivered


def _next_attempt(
    sink: SinkConfig, failures: int, delivery: Delivery, now: datetime
) -> datetime | None:
    """When the sink is tried again after its ``failures``-th failure in a row; None: never."""
    if sink.retry.gives_up_after(failures):
        return None
    wait = sink.retry.backoff(failures)
    if delivery.retry_after is not None:  # the receiver asked for longer
        wait = max(wait, delivery.retry_after)
    return now + wait
