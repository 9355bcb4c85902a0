"""Following a KV bucket: every current value first, then each change as it happens."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from clearsight.errors import ClearsightError

__all__ = ["EntryHandler", "watch_bucket"]

_log = logging.getLogger(__name__)

EntryHandler = Callable[[str, int, bytes | None], None]
"""Called with (key, revision, value); value None when the key was deleted."""


async def watch_bucket(kv: KeyValue, handle: EntryHandler, synced: Callable[[], None]) -> None:
    """Feed ``handle`` until cancelled; ``synced`` is called once the current values are in.

    A value ``handle`` rejects (a ClearsightError) is logged and skipped; the watch goes on.
    """
    while True:
        try:
            watcher = await kv.watchall()
        except Exception as error:  # the server may be restarting: try again shortly
            _log.warning("cannot watch bucket %s: %s", getattr(kv, "_name", "?"), error)
            await asyncio.sleep(1.0)
            continue
        try:
            async for entry in watcher:
                if entry is None:
                    synced()
                    continue
                deleted = entry.operation in (KV_DEL, KV_PURGE)
                try:
                    handle(
                        entry.key, entry.revision or 0, None if deleted else (entry.value or b"")
                    )
                except ClearsightError as error:
                    _log.error("bucket %s, key %s: %s", entry.bucket, entry.key, error)
        finally:
            try:
                await watcher.stop()  # type: ignore[no-untyped-call]
            except Exception as error:  # already gone with its connection
                _log.debug("watcher stop: %s", error)
