"""``type = "mqtt"``: a QoS-1 MQTT message of the confirmed alert (paho-mqtt), optionally
announced to Home Assistant by MQTT discovery."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from clearsight.notify.sinks import AlertSink, ConfirmedAlertMessage, Delivery, SinkConfig

if TYPE_CHECKING:
    from paho.mqtt.publish import AuthParameter, MessagesList

__all__ = ["HOME_ASSISTANT_OBJECT", "MqttSink", "MqttSinkConfig", "home_assistant_discovery"]

DEFAULT_TOPIC = "clearsight/alerts/confirmed"


class MqttSinkConfig(SinkConfig):
    type: Literal["mqtt"] = Field(
        "mqtt", title="Sink type", description="A QoS-1 MQTT message of each confirmed alert."
    )
    host: str = Field(
        min_length=1, max_length=255, title="Broker host", description="The MQTT broker."
    )
    port: int = Field(1883, ge=1, le=65535, title="Broker port", description="Broker port.")
    topic: str = Field(
        DEFAULT_TOPIC,
        min_length=1,
        title="Topic",
        description="Topic the confirmed-alert messages are published to (QoS 1).",
    )
    username: str | None = Field(
        None,
        max_length=200,
        title="User name",
        description="User name the broker asks for; None connects anonymously.",
    )
    password: str | None = Field(
        None, max_length=1000, title="Password", description="Password for the MQTT user."
    )
    tls: bool = Field(
        False,
        title="TLS",
        description="Connect with TLS, checking the broker's certificate (usually port 8883).",
    )
    ca_file: Path | None = Field(
        None,
        title="CA certificate",
        description="PEM file of the authority that signed the broker's certificate; None uses "
        "the system's trusted authorities.",
    )
    home_assistant_discovery: bool = Field(
        False,
        title="Home Assistant discovery",
        description="Also publish (retained) a Home Assistant MQTT discovery config, so confirmed "
        "alerts appear in Home Assistant as an event entity on the alert topic.",
    )
    home_assistant_prefix: str = Field(
        "homeassistant",
        min_length=1,
        max_length=100,
        title="Home Assistant discovery prefix",
        description="Home Assistant's discovery topic prefix.",
    )

    def open(self) -> MqttSink:
        return MqttSink(self)


class MqttSink(AlertSink):
    def __init__(self, config: MqttSinkConfig) -> None:
        super().__init__(config.name)
        self.config = config

    def send(self, message: ConfirmedAlertMessage) -> Delivery:
        from paho.mqtt import publish  # loaded by a sink that sends, not by the config

        config = self.config
        messages: MessagesList = []
        if config.home_assistant_discovery:
            topic, announcement = home_assistant_discovery(config)
            messages.append((topic, announcement, 1, True))
        messages.append((config.topic, message.to_json(), 1, False))
        auth: AuthParameter | None = None
        if config.username:
            auth = {"username": config.username, "password": config.password or ""}
        try:
            tls = None
            if config.tls:  # the broker's certificate and host name are checked
                tls = ssl.create_default_context(
                    cafile=str(config.ca_file) if config.ca_file else None
                )
            publish.multiple(
                messages,
                hostname=config.host,
                port=config.port,
                client_id=f"clearsight-{message.alert_id[:8]}",
                keepalive=max(5, int(config.timeout_s)),
                auth=auth,
                tls=tls,  # type: ignore[arg-type]  # paho documents an SSLContext here too
            )
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
            return Delivery.failed(f"{type(error).__name__}: {error}")
        return Delivery.sent(f"published to {config.topic}")


HOME_ASSISTANT_OBJECT = "clearsight_confirmed_alert"


def home_assistant_discovery(config: MqttSinkConfig) -> tuple[str, str]:
    """(topic, payload) announcing confirmed alerts to Home Assistant as an ``event`` entity
    that fires ``alert.confirmed`` on the alert topic (the message's ``event`` field)."""
    payload = {
        "name": "Confirmed alert",
        "unique_id": HOME_ASSISTANT_OBJECT,
        "object_id": HOME_ASSISTANT_OBJECT,
        "state_topic": config.topic,
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
