"""Publishing buffered alerts to JetStream; each removed from the buffer only once acked."""

from __future__ import annotations

import asyncio
import logging

import nats.errors
from nats.js import JetStreamContext

from clearsight.cluster._outbox import Outbox, OutboxEntry
from clearsight.cluster._worker_metrics import WorkerCounters

__all__ = ["MSG_ID_HEADER", "publish_outbox"]

_log = logging.getLogger(__name__)

MSG_ID_HEADER = "Nats-Msg-Id"
"""JetStream drops a second message with the same id within the stream's duplicate window."""


async def _publish(js: JetStreamContext, entry: OutboxEntry, counters: WorkerCounters) -> bool:
    try:
        ack = await js.publish(
            entry.subject, entry.sealed, timeout=5, headers={MSG_ID_HEADER: entry.alert_id}
        )
    except (nats.errors.Error, TimeoutError, OSError) as error:
        counters.last_error = f"publish: {error or type(error).__name__}"
        return False
    if ack.duplicate:
        counters.duplicates += 1
    return True


async def publish_outbox(
    js: JetStreamContext, outbox: Outbox, batch: int, counters: WorkerCounters
) -> int:
    """Publish up to ``batch`` of the oldest buffered alerts; the number acknowledged."""
    entries = outbox.oldest(batch)
    if not entries:
        return 0
    results = await asyncio.gather(*(_publish(js, e, counters) for e in entries))
    done = [e.seq for e, ok in zip(entries, results, strict=True) if ok]
    outbox.remove(done)
    counters.published += len(done)
    return len(done)
