"""Delivering confirmed alerts: a webhook (httpx) and an MQTT message (paho-mqtt).

Only confirmed alerts reach here: ``deliver_outbox`` reads the store's outbox, which holds
confirmed alerts only, and marks each delivered alert so it is sent once. A failed delivery
leaves the alert in the outbox for the next attempt.
"""

from __future__ import annotations

import json
import logging
import ssl
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
from paho.mqtt import publish

if TYPE_CHECKING:
    from paho.mqtt.publish import AuthParameter, MessagesList

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
            self._publish(self.config.mqtt_host, message, body)
        return self.channels

    def _publish(self, host: str, message: ConfirmedAlertMessage, body: str) -> None:
        messages: MessagesList = []
        if self.config.home_assistant_discovery:
            topic, announcement = home_assistant_discovery(self.config)
            messages.append((topic, announcement, 1, True))
        messages.append((self.config.mqtt_topic, body, 1, False))
        config = self.config
        auth: AuthParameter | None = None
        if config.mqtt_username:
            auth = {"username": config.mqtt_username, "password": config.mqtt_password or ""}
        tls = None
        if config.mqtt_tls:  # the broker's certificate and host name are checked
            tls = ssl.create_default_context(
                cafile=str(config.mqtt_ca_file) if config.mqtt_ca_file else None
            )
        publish.multiple(
            messages,
            hostname=host,
            port=config.mqtt_port,
            client_id=f"clearsight-{message.alert_id[:8]}",
            keepalive=max(5, int(config.timeout_s)),
            auth=auth,
            tls=tls,  # type: ignore[arg-type]  # paho documents an SSLContext here too
        )


HOME_ASSISTANT_OBJECT = "clearsight_confirmed_alert"


def home_assistant_discovery(config: NotifyConfig) -> tuple[str, str]:
    """(topic, payload) announcing confirmed alerts to Home Assistant as an ``event`` entity
    that fires ``alert.confirmed`` on the alert topic (the message's ``event`` field)."""
    payload = {
        "name": "Confirmed alert",
        "unique_id": HOME_ASSISTANT_OBJECT,
        "object_id": HOME_ASSISTANT_OBJECT,
        "state_topic": config.mqtt_topic,
        "event_types": ["alert.confirmed"],
        "value_template": "{{ {'event_type': value_json.event, 'subject': value_json.subject_name,"
        " 'source': value_json.source, 'alert_id': value_json.alert_id} | tojson }}",
        "device": {
            "identifiers": ["clearsight"],
            "name": "clearsight",
            "manufacturer": "clearsight",
            "model": "face recognition service",
        },
    }
    topic = f"{config.home_assistant_prefix}/event/clearsight/{HOME_ASSISTANT_OBJECT}/config"
    return topic, json.dumps(payload, sort_keys=True)


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
