"""The service side: a durable JetStream consumer that stores alerts, acking after commit.

Each message is decrypted, validated and handed to an ``AlertSink``; only when the sink has
committed it (or found it already stored) is the message acknowledged. A consumer killed
between the commit and the ack gets the message again, and the sink's unique key on the
alert id turns the second delivery into a no-op: every alert is stored exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from clearsight.cluster._config import ClusterConfig, ClusterNames
from clearsight.cluster._metrics import Metric, render_metrics
from clearsight.cluster._publisher import MSG_ID_HEADER
from clearsight.cluster._wire import ClusterAlert, open_alert
from clearsight.crypto import BlobCipher
from clearsight.errors import ClearsightError, InputError, NotFoundError, PolicyError, StoreError

__all__ = ["AlertSink", "ConsumerCounters", "consume_alerts"]

_log = logging.getLogger(__name__)


class AlertSink(Protocol):
    """Where alerts are stored. Must be idempotent on ``alert_id``."""

    def store_alert(self, alert: ClusterAlert) -> bool:
        """Commit ``alert``; True when inserted, False when it was already stored.

        Raises StoreError when it cannot commit (the message is then redelivered later);
        NotFoundError, PolicyError or InputError when it refuses the alert for good (the
        message is terminated and counted as rejected).
        """


@dataclass
class ConsumerCounters:
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    retried: int = 0

    def metrics_text(self, consumer: str) -> str:
        return render_metrics(
            [
                Metric(
                    "clearsight_consumer_stored_total",
                    "Alerts committed to the store.",
                    "counter",
                    lambda: self.stored,
                ),
                Metric(
                    "clearsight_consumer_duplicates_total",
                    "Redelivered alerts found already stored.",
                    "counter",
                    lambda: self.duplicates,
                ),
                Metric(
                    "clearsight_consumer_rejected_total",
                    "Messages that cannot be decrypted or read, or that the store refuses "
                    "(terminated, kept in the stream).",
                    "counter",
                    lambda: self.rejected,
                ),
                Metric(
                    "clearsight_consumer_retried_total",
                    "Messages left for redelivery because the store failed.",
                    "counter",
                    lambda: self.retried,
                ),
            ],
            {"consumer": consumer},
        )


async def _handle(
    msg: Msg, sink: AlertSink, cipher: BlobCipher, namespace: str, counters: ConsumerCounters
) -> None:
    alert_id = (msg.headers or {}).get(MSG_ID_HEADER, "")
    try:
        alert = open_alert(msg.data, alert_id, cipher, namespace)
    except ClearsightError as error:
        # Unreadable (wrong key, altered, malformed): never storable, so not redelivered
        # forever; it stays in the stream for inspection.
        counters.rejected += 1
        _log.error("stream message %s rejected: %s", msg.metadata.sequence.stream, error)
        await msg.term()
        return
    try:
        inserted = await asyncio.to_thread(sink.store_alert, alert)
    except (NotFoundError, PolicyError, InputError) as error:
        # The store refuses it for good (subject unknown or withdrawn, evidence unreadable):
        # redelivery cannot help, so it is counted, terminated and kept in the stream.
        counters.rejected += 1
        _log.error("alert %s refused by the store: %s", alert_id, error)
        await msg.term()
        return
    except StoreError as error:
        counters.retried += 1
        _log.error("alert %s not stored, will be redelivered: %s", alert_id, error)
        await msg.nak(delay=2.0)
        return
    if inserted:
        counters.stored += 1
    else:
        counters.duplicates += 1
    await msg.ack()


async def consume_alerts(
    js: JetStreamContext,
    config: ClusterConfig,
    sink: AlertSink,
    cipher: BlobCipher,
    stop: asyncio.Event,
    counters: ConsumerCounters | None = None,
    batch: int = 128,
) -> ConsumerCounters:
    """Store alerts from the stream until ``stop`` is set."""
    names = ClusterNames(config.namespace)
    counters = counters or ConsumerCounters()
    subscription = await js.pull_subscribe(
        names.alert_subjects,
        durable=names.alert_consumer,
        stream=names.alert_stream,
        config=ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=30,
            max_deliver=-1,
            max_ack_pending=4 * batch,
        ),
    )
    while not stop.is_set():
        try:
            messages = await subscription.fetch(batch, timeout=1.0)
        except (TimeoutError, nats.errors.TimeoutError):
            continue
        except nats.errors.Error as error:
            _log.warning("fetch: %s", error)
            await asyncio.sleep(0.5)
            continue
        for msg in messages:
            await _handle(msg, sink, cipher, config.namespace, counters)
    return counters
