"""Operator side: register cameras, publish watchlists, read the cluster's status."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from nats.js.errors import KeyNotFoundError, KeyValueError, NotFoundError
from nats.js.kv import KeyValue

from clearsight.cluster._config import ClusterConfig, ClusterNames
from clearsight.cluster._nats import ClusterBuckets, connect, ensure_cluster
from clearsight.cluster._watchlists import WatchlistEntry, seal_watchlist
from clearsight.cluster._wire import CameraSpec, LeaseRecord, WorkerHeartbeat, parse_wire
from clearsight.crypto import BlobCipher
from clearsight.errors import ClearsightError

__all__ = [
    "ClusterStatus",
    "WorkerStatus",
    "put_cameras",
    "put_watchlist",
    "read_status",
]


async def put_cameras(buckets: ClusterBuckets, cameras: Sequence[CameraSpec]) -> None:
    """Add or change cameras; their workers pick the change up from the bucket."""
    semaphore = asyncio.Semaphore(128)

    async def one(camera: CameraSpec) -> None:
        async with semaphore:
            await buckets.cameras.put(camera.camera_id, camera.model_dump_json().encode())

    await asyncio.gather(*(one(c) for c in cameras))


async def put_watchlist(
    buckets: ClusterBuckets,
    config: ClusterConfig,
    site: str,
    model_id: str,
    entries: Sequence[WatchlistEntry],
    cipher: BlobCipher,
) -> int:
    """Publish a site's approved watchlist (encrypted); returns the bucket revision."""
    blob = seal_watchlist(site, model_id, entries, cipher, ClusterNames(config.namespace))
    return int(await buckets.watchlists.put(site, blob))


@dataclass(frozen=True)
class WorkerStatus:
    heartbeat: WorkerHeartbeat
    age_s: float
    leases: int

    @property
    def alive(self) -> bool:
        return self.age_s < 10.0


@dataclass(frozen=True)
class ClusterStatus:
    workers: tuple[WorkerStatus, ...]
    cameras: int
    unassigned: int
    stream_messages: int
    consumer_pending: int | None
    errors: tuple[str, ...]


async def _values(kv: KeyValue) -> dict[str, tuple[bytes, int]]:
    try:
        keys = await kv.keys()
    except (KeyValueError, KeyNotFoundError):  # nats-py raises NoKeysError (a subclass) when empty
        return {}
    found: dict[str, tuple[bytes, int]] = {}
    for key in keys:
        try:
            entry = await kv.get(key)
        except KeyNotFoundError:
            continue
        if entry.value:
            found[key] = (entry.value, entry.revision or 0)
    return found


async def read_status(config: ClusterConfig) -> ClusterStatus:
    """Workers (from their heartbeats), leases, and the alert stream's backlog."""
    names = ClusterNames(config.namespace)
    nc = await connect(config, name="clearsight-status")
    try:
        js = nc.jetstream(timeout=5)
        buckets = await ensure_cluster(js, config)
        errors: list[str] = []
        beats: list[WorkerHeartbeat] = []
        for key, (value, _) in (await _values(buckets.workers)).items():
            try:
                beats.append(parse_wire(WorkerHeartbeat, value, f"heartbeat {key}"))
            except ClearsightError as error:
                errors.append(str(error))
        holders: dict[str, int] = {}
        leases = await _values(buckets.leases)
        for key, (value, _) in leases.items():
            try:
                worker = parse_wire(LeaseRecord, value, f"lease {key}").worker_id
            except ClearsightError as error:
                errors.append(str(error))
                continue
            holders[worker] = holders.get(worker, 0) + 1
        cameras = await _values(buckets.cameras)
        now = datetime.now(UTC)
        live = {b.worker_id for b in beats if (now - b.sent_at).total_seconds() < 10}
        unassigned = sum(
            1
            for key in cameras
            if key not in leases
            or parse_wire(LeaseRecord, leases[key][0], key).worker_id not in live
        )
        info = await js.stream_info(names.alert_stream)
        try:
            consumer = await js.consumer_info(names.alert_stream, names.alert_consumer)
            pending: int | None = int(consumer.num_pending or 0) + int(
                consumer.num_ack_pending or 0
            )
        except NotFoundError:  # no consumer yet
            pending = None
        workers = tuple(
            WorkerStatus(b, (now - b.sent_at).total_seconds(), holders.get(b.worker_id, 0))
            for b in sorted(beats, key=lambda b: b.worker_id)
        )
        return ClusterStatus(
            workers, len(cameras), unassigned, int(info.state.messages), pending, tuple(errors)
        )
    finally:
        await nc.close()
