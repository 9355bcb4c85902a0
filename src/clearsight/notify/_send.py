"""Delivering confirmed alerts: a webhook (httpx) and an MQTT message (paho-mqtt).

Only confirmed alerts reach here: ``deliver_outbox`` reads the store's outbox, which holds
confirmed alerts only, and marks each delivered alert so it is sent once. A failed delivery
leaves the alert in the outbox for the next attempt.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime

import httpx
from paho.mqtt import publish

from clearsight.notify._config import NotifyConfig
from clearsight.review import AlertStatus
from clearsight.store import AlertRecord, Database, alerts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConfirmedAlertMessage:
    """What is sent onward: no face images, only what the people who act need."""

    alert_id: str
    subject_id: str
    subject_name: str
    source: str
    camera_id: str | None
    capture_time: str
    confirmed_at: str
    score: float
    estimated_fmr: float

    @classmethod
    def of(cls, record: AlertRecord) -> ConfirmedAlertMessage:
        if record.status != AlertStatus.CONFIRMED.value or record.settled_at is None:
            raise ValueError(
                f"alert {record.id} is {record.status}; only confirmed alerts are sent"
            )
        return cls(
            alert_id=record.id,
            subject_id=record.subject_id,
            subject_name=record.subject_name,
            source=record.source,
            camera_id=record.camera_id,
            capture_time=record.capture_time.isoformat(),
            confirmed_at=record.settled_at.isoformat(),
            score=record.score,
            estimated_fmr=record.estimated_fmr,
        )

    def to_json(self) -> str:
        return json.dumps({"event": "alert.confirmed", **asdict(self)}, sort_keys=True)


class Notifier:
    """Sends one message to every configured channel; raises if any channel fails."""

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config
        self.failures = 0
        """Delivery attempts that failed since start (each is retried later)."""

    @property
    def channels(self) -> list[str]:
        names = []
        if self.config.webhook_url:
            names.append("webhook")
        if self.config.mqtt_host:
            names.append("mqtt")
        return names

    def send(self, message: ConfirmedAlertMessage) -> list[str]:
        body = message.to_json()
        if self.config.webhook_url:
            response = httpx.post(
                self.config.webhook_url,
                content=body,
                timeout=self.config.timeout_s,
                headers={"Content-Type": "application/json"},
                follow_redirects=False,
            )
            response.raise_for_status()
        if self.config.mqtt_host:
            publish.single(
                self.config.mqtt_topic,
                body,
                qos=1,
                hostname=self.config.mqtt_host,
                port=self.config.mqtt_port,
                client_id=f"clearsight-{message.alert_id[:8]}",
                keepalive=max(5, int(self.config.timeout_s)),
            )
        return self.channels


def deliver_outbox(db: Database, notifier: Notifier, now: datetime) -> list[str]:
    """Send every confirmed, not yet notified alert; returns the ids delivered."""
    if not notifier.channels:
        return []
    with db.session() as session:
        pending = [
            ConfirmedAlertMessage.of(record) for record in alerts.confirmed_unnotified(session)
        ]
    delivered = []
    for message in pending:
        try:
            channels = notifier.send(message)
        except (httpx.HTTPError, OSError, ValueError) as error:
            notifier.failures += 1
            log.warning("notifying alert %s failed, will retry: %s", message.alert_id, error)
            continue
        with db.session() as session:
            alerts.mark_notified(session, message.alert_id, channels, now)
        delivered.append(message.alert_id)
    return delivered
