from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class NotifyConfig(BaseModel):
    """Where confirmed alerts are sent. Nothing is sent anywhere that is not named here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    webhook_url: str | None = Field(
        None,
        title="Webhook URL",
        description="HTTP(S) endpoint that receives a JSON POST for each confirmed alert; "
        "None sends no webhook.",
    )
    mqtt_host: str | None = Field(
        None,
        title="MQTT broker host",
        description="Broker that receives a message for each confirmed alert; None sends none.",
    )
    mqtt_port: int = Field(1883, ge=1, le=65535, title="MQTT port", description="Broker port.")
    mqtt_topic: str = Field(
        "clearsight/alerts/confirmed",
        min_length=1,
        title="MQTT topic",
        description="Topic the confirmed-alert messages are published to (QoS 1).",
    )
    mqtt_username: str | None = Field(
        None,
        max_length=200,
        title="MQTT user name",
        description="User name the broker asks for; None connects anonymously.",
    )
    mqtt_password: str | None = Field(
        None,
        max_length=1000,
        title="MQTT password",
        description="Password for the MQTT user (the CLI also reads $CLEARSIGHT_MQTT_PASSWORD, so "
        "it need not appear in the process list).",
    )
    mqtt_tls: bool = Field(
        False,
        title="MQTT over TLS",
        description="Connect to the broker with TLS, checking its certificate (usually port 8883).",
    )
    mqtt_ca_file: Path | None = Field(
        None,
        title="MQTT CA certificate",
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
    timeout_s: float = Field(
        5.0,
        gt=0,
        le=60,
        title="Delivery timeout (s)",
        description="How long one delivery attempt may take before it counts as failed "
        "(it is retried later; the alert stays in the outbox).",
    )
