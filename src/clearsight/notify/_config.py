"""Where confirmed alerts are sent: a list of sinks, each chosen by its ``type``.

The flat ``webhook_url`` / ``mqtt_*`` fields are the older, shorter way to name one webhook
and one MQTT broker (``serve``'s ``--webhook-url`` and ``--mqtt-*`` flags set them); they stay
accepted and become the sinks named ``webhook`` and ``mqtt``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clearsight.notify._registry import AnySinkConfig, sink_types
from clearsight.notify._sink import SinkConfig
from clearsight.notify.sinks.mqtt import MqttSinkConfig
from clearsight.notify.sinks.webhook import HTTP_URL, WebhookSinkConfig

# The names the flat fields' sinks take.
FLAT_WEBHOOK, FLAT_MQTT = "webhook", "mqtt"
FLAT_FIELDS = {FLAT_WEBHOOK: "webhook_url", FLAT_MQTT: "mqtt_host"}


def _mqtt(name: str) -> Any:  # a FieldInfo, which pydantic takes as the field's definition
    """The ``mqtt`` sink's own definition of its setting ``name``: limits, title, text."""
    return MqttSinkConfig.model_fields[name]


class NotifyConfig(BaseModel):
    """Where confirmed alerts are sent. Nothing is sent anywhere that is not named here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sinks: list[AnySinkConfig] = Field(
        default_factory=list,
        title="Alert sinks",
        description="Where each confirmed alert goes, one entry per sink, each chosen by its "
        f"`type` ({', '.join(f'`{name}`' for name in sink_types())}) and named uniquely. Each "
        "sink is delivered to, retried and backed off on its own: one failing sink never "
        "re-sends another's.",
    )

    webhook_url: str | None = Field(
        None,
        pattern=HTTP_URL,
        max_length=2000,
        title="Webhook URL",
        description="Shorthand for a `webhook` sink named `webhook` (as `--webhook-url` sets "
        "it): HTTP(S) endpoint that receives a JSON POST for each confirmed alert; None sends "
        "no webhook.",
    )
    mqtt_host: str | None = Field(
        None,
        title="MQTT broker host",
        description="Shorthand for an `mqtt` sink named `mqtt` (as `--mqtt-host` sets it; the "
        "other `mqtt_*` and `home_assistant_*` fields are its settings): broker that receives a "
        "message for each confirmed alert; None sends none.",
    )
    # The flat MQTT settings are the `mqtt` sink's own (same limits, titles and descriptions).
    mqtt_port: int = _mqtt("port")
    mqtt_topic: str = _mqtt("topic")
    mqtt_username: str | None = _mqtt("username")
    mqtt_password: str | None = Field(
        None,
        max_length=1000,
        title="MQTT password",
        description="Password for the MQTT user (the CLI also reads $CLEARSIGHT_MQTT_PASSWORD, so "
        "it need not appear in the process list).",
    )
    mqtt_tls: bool = _mqtt("tls")
    mqtt_ca_file: Path | None = _mqtt("ca_file")
    home_assistant_discovery: bool = _mqtt("home_assistant_discovery")
    home_assistant_prefix: str = _mqtt("home_assistant_prefix")
    timeout_s: float = Field(
        5.0,
        gt=0,
        le=60,
        title="Delivery timeout (s)",
        description="For the `webhook_url` and `mqtt_host` sinks: how long one delivery "
        "attempt may take before it counts as failed (it is retried later; the alert stays in "
        "the outbox). Entries of `sinks` set their own.",
    )

    @model_validator(mode="after")
    def _sink_names_are_unique(self) -> NotifyConfig:
        seen: set[str] = set()
        for sink in self.effective_sinks():
            if sink.name in seen:
                raise ValueError(
                    f"two sinks are named {sink.name!r}; each sink needs its own name"
                    + (
                        f" ({FLAT_FIELDS[sink.name]} makes a sink named {sink.name!r})"
                        if sink.name in FLAT_FIELDS
                        else ""
                    )
                )
            seen.add(sink.name)
        return self

    def effective_sinks(self) -> list[SinkConfig]:
        """Every sink alerts go to: the flat fields' webhook and MQTT sinks, then ``sinks``.

        Computed on each call rather than stored, so a ``model_copy(update=...)`` of a flat
        field is honoured."""
        found: list[SinkConfig] = []
        if self.webhook_url:
            found.append(
                WebhookSinkConfig(name=FLAT_WEBHOOK, url=self.webhook_url, timeout_s=self.timeout_s)
            )
        if self.mqtt_host:
            found.append(
                MqttSinkConfig(
                    name=FLAT_MQTT,
                    host=self.mqtt_host,
                    port=self.mqtt_port,
                    topic=self.mqtt_topic,
                    username=self.mqtt_username,
                    password=self.mqtt_password,
                    tls=self.mqtt_tls,
                    ca_file=self.mqtt_ca_file,
                    home_assistant_discovery=self.home_assistant_discovery,
                    home_assistant_prefix=self.home_assistant_prefix,
                    timeout_s=self.timeout_s,
                )
            )
        return [*found, *self.sinks]
