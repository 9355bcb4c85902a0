"""``type = "webhook"``: a JSON POST of the confirmed alert to an HTTP(S) endpoint (httpx)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import httpx
from pydantic import Field

from clearsight.notify.sinks import AlertSink, ConfirmedAlertMessage, Delivery, SinkConfig

__all__ = ["HTTP_URL", "WebhookSink", "WebhookSinkConfig"]

# What a webhook address must look like (the flat `webhook_url` setting checks it too).
HTTP_URL = r"^https?://"


class WebhookSinkConfig(SinkConfig):
    type: Literal["webhook"] = Field(
        "webhook",
        title="Sink type",
        description="A JSON POST of each confirmed alert to `url`.",
    )
    url: str = Field(
        pattern=HTTP_URL,
        max_length=2000,
        title="Webhook URL",
        description="HTTP(S) endpoint that receives the JSON POST; any 2xx answer is delivery.",
    )

    def open(self) -> WebhookSink:
        return WebhookSink(self)


class WebhookSink(AlertSink):
    def __init__(self, config: WebhookSinkConfig) -> None:
        super().__init__(config.name)
        self.config = config

    def send(self, message: ConfirmedAlertMessage) -> Delivery:
        try:
            response = httpx.post(
                self.config.url,
                content=message.to_json(),
                timeout=self.config.timeout_s,
                headers={"Content-Type": "application/json"},
                follow_redirects=False,
            )
        except httpx.HTTPError as error:
            return Delivery.failed(f"{type(error).__name__}: {error}")
        if response.is_success:
            return Delivery.sent(f"HTTP {response.status_code}")
        return Delivery.failed(
            f"HTTP {response.status_code} from {self.config.url}",
            _retry_after(response.headers.get("Retry-After")),
        )


def _retry_after(header: str | None) -> timedelta | None:
    """A ``Retry-After`` in seconds (its date form is not followed; the backoff applies)."""
    if header is None or not header.strip().isdigit():
        return None
    return timedelta(seconds=int(header.strip()))
