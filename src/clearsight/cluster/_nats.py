"""Connecting to NATS and creating the namespace's buckets and alert stream (idempotent)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, KeyValueConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from clearsight.cluster._config import ClusterConfig, ClusterNames
from clearsight.errors import ClearsightError

__all__ = ["ClusterBuckets", "NatsUnavailableError", "connect", "ensure_cluster"]

_log = logging.getLogger(__name__)

_FIRST_CONNECT_S = 5.0
HEARTBEAT_TTL_S = 60.0
"""A dead worker's last heartbeat stays visible to `cluster status` this long."""


class NatsUnavailableError(ClearsightError):
    """The NATS server cannot be reached (yet)."""


async def connect(
    config: ClusterConfig,
    *,
    name: str,
    attempts: int | None = 1,
    on_disconnect: Callable[[], Awaitable[None]] | None = None,
    on_reconnect: Callable[[], Awaitable[None]] | None = None,
) -> Client:
    """A connection that reconnects forever once made. ``attempts=None`` retries the first
    connection forever too (a worker started before the server)."""
    servers = [url.strip() for url in config.nats_url.split(",") if url.strip()]

    async def error_cb(error: Exception) -> None:
        # Connection errors repeat while NATS is down; the worker reports the outage itself.
        _log.debug("NATS: %s", error or type(error).__name__)

    tried = 0
    while True:
        tried += 1
        try:
            # nats-py retries a failed first connection as long as reconnects are allowed
            # (forever here), so each attempt gets its own deadline.
            return await asyncio.wait_for(
                nats.connect(
                    servers=servers,
                    name=name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    allow_reconnect=True,
                    error_cb=error_cb,
                    disconnected_cb=on_disconnect,
                    reconnected_cb=on_reconnect,
                ),
                timeout=_FIRST_CONNECT_S,
            )
        except (OSError, TimeoutError, nats.errors.Error) as error:
            reason = "no answer" if isinstance(error, TimeoutError) else str(error)
            if attempts is not None and tried >= attempts:
                raise NatsUnavailableError(
                    f"cannot reach NATS at {config.nats_url} ({reason or type(error).__name__})"
                ) from error
            _log.warning("NATS at %s unreachable (%s); retrying", config.nats_url, reason)
            await asyncio.sleep(min(5.0, 0.5 * tried))


class ClusterBuckets:
    """The namespace's four KV buckets."""

    def __init__(
        self, cameras: KeyValue, leases: KeyValue, workers: KeyValue, watchlists: KeyValue
    ):
        self.cameras = cameras
        self.leases = leases
        self.workers = workers
        self.watchlists = watchlists


async def _bucket(js: JetStreamContext, config: KeyValueConfig) -> KeyValue:
    try:
        return await js.key_value(config.bucket)
    except (BucketNotFoundError, NotFoundError):
        return await js.create_key_value(config)


async def ensure_cluster(js: JetStreamContext, config: ClusterConfig) -> ClusterBuckets:
    """Create (or open) the buckets and the alert stream of ``config.namespace``."""
    names = ClusterNames(config.namespace)
    file = StorageType.FILE
    buckets = ClusterBuckets(
        cameras=await _bucket(js, KeyValueConfig(bucket=names.cameras_bucket, storage=file)),
        leases=await _bucket(js, KeyValueConfig(bucket=names.leases_bucket, storage=file)),
        workers=await _bucket(
            js, KeyValueConfig(bucket=names.workers_bucket, storage=file, ttl=HEARTBEAT_TTL_S)
        ),
        watchlists=await _bucket(
            js, KeyValueConfig(bucket=names.watchlists_bucket, storage=file, max_value_size=-1)
        ),
    )
    stream = StreamConfig(
        name=names.alert_stream,
        subjects=[names.alert_subjects],
        retention=RetentionPolicy.LIMITS,
        storage=file,
        max_age=config.stream_max_age_s,
        duplicate_window=config.duplicate_window_s,
        discard=DiscardPolicy.OLD,
    )
    try:
        await js.stream_info(names.alert_stream)
    except NotFoundError:
        await js.add_stream(stream)
    return buckets
