from __future__ import annotations

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
    timeout_s: float = Field(
        5.0,
        gt=0,
        le=60,
        title="Delivery timeout (s)",
        description="How long one delivery attempt may take before it counts as failed "
        "(it is retried later; the alert stays in the outbox).",
    )
