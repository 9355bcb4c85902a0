"""Notify: send confirmed alerts onward (webhook and MQTT). Pending alerts are never sent."""

from clearsight.notify._config import NotifyConfig
from clearsight.notify._send import ConfirmedAlertMessage, Notifier, deliver_outbox

__all__ = ["ConfirmedAlertMessage", "Notifier", "NotifyConfig", "deliver_outbox"]
