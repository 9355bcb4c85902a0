"""Notify: send confirmed alerts onward, to sinks chosen by ``type`` (webhook, MQTT, email).
Pending alerts are never sent. Each sink is one module of ``clearsight.notify.sinks``."""

from clearsight.notify._config import NotifyConfig
from clearsight.notify._message import ConfirmedAlertMessage
from clearsight.notify._registry import sink_types
from clearsight.notify._send import Notifier, deliver_outbox
from clearsight.notify._sink import AlertSink, Delivery, RetryPolicy, SinkConfig

__all__ = [
    "AlertSink",
    "ConfirmedAlertMessage",
    "Delivery",
    "Notifier",
    "NotifyConfig",
    "RetryPolicy",
    "SinkConfig",
    "deliver_outbox",
    "sink_types",
]
