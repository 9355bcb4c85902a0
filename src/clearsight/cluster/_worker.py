"""A cluster worker: holds camera leases, runs its cameras, matches at the edge and publishes
alerts durably (disk buffer first, JetStream with an idempotency key second)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from clearsight.cluster._config import ClusterConfig, ClusterNames, WorkerSettings
from clearsight.cluster._leases import Held, LeaseView, plan_leases
from clearsight.cluster._metrics import MetricsServer
from clearsight.cluster._nats import ClusterBuckets, connect, ensure_cluster
from clearsight.cluster._outbox import Outbox
from clearsight.cluster._publisher import publish_outbox
from clearsight.cluster._runner import AlertEmitter, CameraRunner, GalleryLookup, to_cluster_alert
from clearsight.cluster._watch import watch_bucket
from clearsight.cluster._watchlists import WatchlistCache
from clearsight.cluster._wire import (
    CameraSpec,
    LeaseRecord,
    WorkerHeartbeat,
    parse_wire,
    seal_alert,
)
from clearsight.cluster._worker_metrics import WorkerCounters, worker_metrics
from clearsight.crypto import BlobCipher
from clearsight.errors import ClearsightError, StoreError
from clearsight.types import Alert

__all__ = ["RunnerFactory", "Worker", "new_worker_id"]

_log = logging.getLogger(__name__)
_NATS_ERRORS = (nats.errors.Error, TimeoutError, OSError)
RunnerFactory = Callable[[GalleryLookup, AlertEmitter], CameraRunner]


def new_worker_id() -> str:
    host = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in socket.gethostname())
    return f"{host[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


class Worker:
    """One worker process's cluster membership. ``run`` returns when ``stop`` is set."""

    def __init__(
        self,
        config: ClusterConfig,
        settings: WorkerSettings,
        cipher: BlobCipher,
        runner_factory: RunnerFactory,
        worker_id: str | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.names = ClusterNames(config.namespace)
        self.worker_id = worker_id or new_worker_id()
        self._cipher = cipher
        self._view = LeaseView(self.worker_id, config.dead_after_s)
        self._specs: dict[str, CameraSpec] = {}
        self._watchlist_revisions: dict[str, int] = {}
        self._lease_revisions: dict[str, int] = {}
        self._beat_revisions: dict[str, int] = {}
        self._synced: set[str] = set()
        self._outbox = Outbox(settings.data_dir / "outbox.sqlite3", config.outbox_max_alerts)
        self._watchlists = WatchlistCache(settings.data_dir / "watchlists", cipher, self.names)
        self._runner = runner_factory(self._watchlists.gallery, self._emit)
        self.counters = WorkerCounters()
        self._connected = False
        self._stopping = False
        self._disconnected_since = time.monotonic()
        self._wake_publisher = asyncio.Event()
        self._wake_heartbeat = asyncio.Event()
        self._rewatch = asyncio.Event()
        self._rng = random.Random()
        self._started = datetime.now(UTC)
        self._metrics: MetricsServer | None = None
        self._rate = 0.0
        self._lag = 0.0

    # -- alerts -------------------------------------------------------------------------
    def _emit(self, camera: CameraSpec, alert: Alert, model_id: str) -> None:
        record = to_cluster_alert(alert, camera, self.worker_id, model_id)
        sealed = seal_alert(record, self._cipher, self.config.namespace)
        self.counters.alerts += 1
        try:
            buffered = self._outbox.add(
                record.alert_id, self.names.alert_subject(camera.site), sealed
            )
        except StoreError as error:  # the disk itself failed: counted and reported, not silent
            self.counters.buffer_errors += 1
            self.counters.last_error = str(error)
            _log.error("alert %s lost: %s", record.alert_id, error)
            return
        if buffered:
            self._wake_publisher.set()
        else:
            self.counters.last_error = f"alert buffer full: alert {record.alert_id} refused"

    # -- main ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        nc = await connect(
            self.config,
            name=self.worker_id,
            attempts=None,
            on_disconnect=self._on_disconnect,
            on_reconnect=self._on_reconnect,
        )
        self._connected = True
        try:
            js = nc.jetstream(timeout=5)
            buckets = await ensure_cluster(js, self.config)
            if self.settings.metrics_port is not None:
                self._metrics = MetricsServer(
                    lambda: worker_metrics(self),
                    self.settings.metrics_host,
                    self.settings.metrics_port,
                )
                await self._metrics.start()
            self._view.forgive_all(time.monotonic())
            tasks = [
                asyncio.create_task(coro)
                for coro in (
                    self._watchers(buckets),
                    self._heartbeats(buckets.workers),
                    self._leases(buckets),
                    self._publisher(js),
                    self._runner.run(),
                )
            ]
            await stop.wait()
            await self._shutdown(nc, js, buckets, tasks)
        finally:
            if self._metrics is not None:
                await self._metrics.close()
            self._outbox.close()
            if not nc.is_closed:
                await nc.close()

    async def _on_disconnect(self) -> None:
        if self._connected and not self._stopping:
            self._connected = False
            self._disconnected_since = time.monotonic()
            _log.warning(
                "worker %s: NATS connection lost; buffering alerts on disk", self.worker_id
            )

    async def _on_reconnect(self) -> None:
        self._connected = True
        self._view.forgive_all(time.monotonic())
        self._rewatch.set()
        self._wake_publisher.set()
        _log.warning("worker %s: reconnected to NATS", self.worker_id)

    async def _shutdown(
        self,
        nc: Client,
        js: JetStreamContext,
        buckets: ClusterBuckets,
        tasks: list[asyncio.Task[None]],
    ) -> None:
        self._stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for camera_id in list(self._runner.running()):
            self._runner.stop(camera_id)
        if nc.is_connected:
            deadline = time.monotonic() + 10
            while self._outbox.pending and time.monotonic() < deadline:
                await publish_outbox(js, self._outbox, self.config.publish_batch, self.counters)
            for camera_id in sorted(self._view.mine()):
                await self._release(buckets.leases, camera_id)
            try:
                await buckets.workers.delete(self.worker_id)
            except _NATS_ERRORS as error:
                _log.warning("cannot remove heartbeat: %s", error)
        if self._outbox.pending:
            _log.warning(
                "%d alerts stay in %s for the next start", self._outbox.pending, self._outbox.path
            )
        _log.warning(
            "worker %s stopped: alerts %d, published %d, buffered %d, overflow %d",
            self.worker_id,
            self.counters.alerts,
            self.counters.published,
            self._outbox.pending,
            self._outbox.overflow,
        )

    # -- watching buckets ---------------------------------------------------------------
    async def _watchers(self, buckets: ClusterBuckets) -> None:
        """Watch every bucket; start over after a reconnection (the server may have restarted)."""
        while True:
            self._rewatch.clear()
            watchers = [
                asyncio.create_task(
                    watch_bucket(kv, handle, functools.partial(self._synced.add, name))
                )
                for name, kv, handle in (
                    ("cameras", buckets.cameras, self._on_camera),
                    ("leases", buckets.leases, self._on_lease),
                    ("workers", buckets.workers, self._on_heartbeat),
                    ("watchlists", buckets.watchlists, self._on_watchlist),
                )
            ]
            try:
                await self._rewatch.wait()
            finally:
                for task in watchers:
                    task.cancel()
                await asyncio.gather(*watchers, return_exceptions=True)
            await asyncio.sleep(0.2)

    def _on_camera(self, key: str, revision: int, value: bytes | None) -> None:
        if value is None:
            self._specs.pop(key, None)
            self._view.cameras.pop(key, None)
            return
        spec = parse_wire(CameraSpec, value, f"camera {key}")
        self._specs[key] = spec
        if spec.enabled:
            self._view.cameras[key] = spec.site
        else:
            self._view.cameras.pop(key, None)
        if key in self._runner.running() and spec.enabled:
            self._runner.start(spec)  # new settings: restarted by the runner

    def _on_lease(self, key: str, revision: int, value: bytes | None) -> None:
        # Watch events can trail this worker's own writes (a create's event arriving after
        # the worker already released it again): an event no newer than what is known of the
        # key is stale, and applying it would make the worker run, or forget, a camera
        # against the bucket's actual state.
        if revision <= self._lease_revisions.get(key, 0):
            return
        self._lease_revisions[key] = revision
        if value is None:
            self._view.leases.pop(key, None)
            return
        lease = parse_wire(LeaseRecord, value, f"lease of camera {key}")
        self._view.leases[key] = Held(lease.worker_id, revision)

    def _on_heartbeat(self, key: str, revision: int, value: bytes | None) -> None:
        if value is None:
            self._view.seen.pop(key, None)
            return
        # Only a new heartbeat is news: a watch that restarts (a reconnection, or the client
        # resetting its ordered consumer) delivers every worker's last one again, which must
        # not keep a dead worker alive.
        if revision <= self._beat_revisions.get(key, 0):
            return
        self._beat_revisions[key] = revision
        self._view.heard_from(key, time.monotonic())

    def _on_watchlist(self, key: str, revision: int, value: bytes | None) -> None:
        if value is None:
            self._watchlist_revisions.pop(key, None)
            self._watchlists.remove(key)
            return
        self._watchlist_revisions[key] = revision
        if key in self._served_sites():
            self._watchlists.update(key, revision, value)

    def _served_sites(self) -> set[str]:
        return {self._view.cameras[c] for c in self._view.mine() if c in self._view.cameras}

    # -- leases ---------------------------------------------------------------------------
    async def _leases(self, buckets: ClusterBuckets) -> None:
        # Let the other workers' heartbeats arrive before taking a fair share.
        await asyncio.sleep(2 * self.config.heartbeat_s)
        while True:
            try:
                await self._lease_step(buckets)
            except ClearsightError as error:
                self.counters.last_error = str(error)
                _log.error("lease check: %s", error)
            await asyncio.sleep(self.config.lease_tick_s)

    async def _lease_step(self, buckets: ClusterBuckets) -> None:
        now = time.monotonic()
        fence = self.config.fence_after_s
        if not self._connected:
            if fence is not None and now - self._disconnected_since > fence:
                for camera_id in list(self._runner.running()):
                    self._runner.stop(camera_id)
            return
        if not {"cameras", "leases"} <= self._synced:
            return
        plan = plan_leases(self._view, now, self.config.release_per_tick, self._rng)
        await _bounded(self._release(buckets.leases, c) for c in plan.release)
        dead = {self._view.leases[c].worker_id for c in plan.claim if c in self._view.leases}
        for worker_id in sorted(dead):
            silent = now - self._view.seen.get(worker_id, self._view.grace_until)
            _log.warning("worker %s silent for %.1f s: taking over its cameras", worker_id, silent)
        before = self.counters.claims
        await _bounded(self._claim(buckets.leases, c) for c in plan.claim)
        if plan.claim:
            _log.info(
                "claimed %d of %d cameras tried (share %d)",
                self.counters.claims - before,
                len(plan.claim),
                plan.share,
            )
        await self._reconcile(buckets.watchlists)

    async def _claim(self, leases: KeyValue, camera_id: str) -> None:
        value = LeaseRecord(worker_id=self.worker_id, acquired_at=datetime.now(UTC))
        data = value.model_dump_json().encode()
        held = self._view.leases.get(camera_id)
        try:
            if held is None:
                revision = await leases.create(camera_id, data)
            else:
                revision = await leases.update(camera_id, data, last=held.revision)
        except _NATS_ERRORS as error:
            _log.debug("camera %s: claim lost (%s)", camera_id, error)
            return
        self._view.leases[camera_id] = Held(self.worker_id, revision)
        self._lease_revisions[camera_id] = max(self._lease_revisions.get(camera_id, 0), revision)
        self.counters.claims += 1

    async def _release(self, leases: KeyValue, camera_id: str) -> None:
        held = self._view.leases.get(camera_id)
        if held is None or held.worker_id != self.worker_id:
            return
        if camera_id in self._runner.running():
            self._runner.stop(camera_id)
        try:
            await leases.delete(camera_id, last=held.revision)
        except _NATS_ERRORS as error:
            _log.debug("camera %s: release failed (%s)", camera_id, error)
            return
        self._view.leases.pop(camera_id, None)
        # The delete's own revision is unknown until its event arrives; it is above this.
        known = self._lease_revisions.get(camera_id, 0)
        self._lease_revisions[camera_id] = max(known, held.revision + 1)
        self.counters.releases += 1

    async def _reconcile(self, watchlists: KeyValue) -> None:
        """Run exactly the cameras this worker holds, with their sites' watchlists."""
        target = {c for c in self._view.mine() if c in self._specs}
        for camera_id in self._runner.running() - target:
            self._runner.stop(camera_id)
        sites = {self._specs[c].site for c in target}
        for site in sites - set(self._watchlists.sites):
            await self._fetch_watchlist(watchlists, site)
        for site in set(self._watchlists.sites) - sites:
            self._watchlists.forget(site)
        started = target - self._runner.running()
        for camera_id in started:
            self._runner.start(self._specs[camera_id])
        if started:
            self._wake_heartbeat.set()  # tell the cluster now, not at the next beat

    async def _fetch_watchlist(self, watchlists: KeyValue, site: str) -> None:
        try:
            entry = await watchlists.get(site)
        except _NATS_ERRORS:
            self._watchlists.load_from_disk(site)
            return
        if entry.value:
            self._watchlists.update(site, entry.revision or 0, entry.value)

    # -- heartbeat and publishing -----------------------------------------------------
    def heartbeat(self) -> WorkerHeartbeat:
        return WorkerHeartbeat(
            worker_id=self.worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=self._started,
            sent_at=datetime.now(UTC),
            cameras=sorted(self._runner.running()),
            rate=round(self._rate, 2),
            lag_s=round(self._lag, 3),
            alerts=self.counters.alerts,
            published=self.counters.published,
            buffered=self._outbox.pending,
            overflow=self._outbox.overflow,
            lost=self.counters.buffer_errors,
            last_error=self.counters.last_error,
            metrics_url=self._metrics.url if self._metrics else "",
        )

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    @property
    def connected(self) -> bool:
        return self._connected

    async def _heartbeats(self, workers: KeyValue) -> None:
        while True:
            stats = self._runner.take_stats()
            self._rate = stats.events / stats.seconds if stats.seconds > 0 else 0.0
            self._lag = stats.worst_lag_s
            if stats.errors:
                self.counters.last_error = stats.errors[-1]
            if self._connected:
                try:
                    await workers.put(self.worker_id, self.heartbeat().model_dump_json().encode())
                except _NATS_ERRORS as error:
                    self.counters.last_error = f"heartbeat: {error or type(error).__name__}"
            self._wake_heartbeat.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_heartbeat.wait(), self.config.heartbeat_s)

    async def _publisher(self, js: JetStreamContext) -> None:
        while True:
            if self._connected and self._outbox.pending:
                sent = await publish_outbox(
                    js, self._outbox, self.config.publish_batch, self.counters
                )
                if sent:
                    continue
                await asyncio.sleep(0.5)  # nothing went through: back off a little
                continue
            self._wake_publisher.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_publisher.wait(), timeout=1.0)


async def _bounded(coroutines: Any, limit: int = 64) -> None:
    """Run coroutines with at most ``limit`` in flight."""
    semaphore = asyncio.Semaphore(limit)

    async def one(coroutine: Coroutine[Any, Any, None]) -> None:
        async with semaphore:
            await coroutine

    await asyncio.gather(*(one(c) for c in coroutines))
