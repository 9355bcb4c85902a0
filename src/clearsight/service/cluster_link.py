"""The service's link to the cluster (``clearsight serve --nats``), in one background thread.

Imported only by a service that joins a cluster (it loads the NATS client).

The thread holds one NATS connection. It consumes the alert stream into the service's
store (``ServiceAlertSink``: acknowledged after the commit) and publishes each site's
approved watchlist to the workers (``put_watchlist``) at start and whenever
``publish_watchlists`` is called (after an approval and after each maintenance round,
which expires entries). A site's list is published again only when it changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

import numpy as np
from nats.js.errors import KeyValueError
from sqlalchemy import select
from sqlalchemy.orm import undefer

from clearsight.cluster import (
    ClusterBuckets,
    ClusterConfig,
    ConsumerCounters,
    WatchlistEntry,
    connect,
    consume_alerts,
    ensure_cluster,
    put_watchlist,
)
from clearsight.crypto import BlobCipher as ClusterCipher
from clearsight.service._cluster_sink import ServiceAlertSink, to_service_alert
from clearsight.store import BlobCipher, Camera, Database, EntryStatus, ReferencePhoto
from clearsight.store import WatchlistEntry as EntryRecord

__all__ = [
    "ClusterLink",
    "ServiceAlertSink",
    "SiteTemplates",
    "site_watchlists",
    "to_service_alert",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteTemplates:
    """The approved templates of every site, and the sites known to the service."""

    everywhere: tuple[WatchlistEntry, ...]
    by_site: dict[str, tuple[WatchlistEntry, ...]]
    sites: frozenset[str]

    def for_site(self, site: str) -> tuple[WatchlistEntry, ...]:
        return self.everywhere + self.by_site.get(site, ())


def site_watchlists(
    db: Database, cipher: BlobCipher, now: datetime, model_id: str
) -> SiteTemplates:
    """Approved, unexpired templates of ``model_id``: those of entries for every site
    (``site`` '') and those of each site-scoped entry; sites named by cameras or entries."""
    everywhere: list[WatchlistEntry] = []
    by_site: dict[str, list[WatchlistEntry]] = {}
    with db.read_session() as session:
        rows = session.execute(
            select(ReferencePhoto, EntryRecord.name, EntryRecord.site)
            .join(EntryRecord, ReferencePhoto.entry_id == EntryRecord.id)
            .where(
                EntryRecord.status == EntryStatus.APPROVED.value,
                EntryRecord.expires_at > now,
                ReferencePhoto.model_id == model_id,
            )
            .order_by(EntryRecord.id, ReferencePhoto.id)
            .options(undefer(ReferencePhoto.template))
        ).all()
        sites = set(session.scalars(select(Camera.site).where(Camera.site != "")))
        sites |= set(session.scalars(select(EntryRecord.site).where(EntryRecord.site != "")))
        for photo, name, site in rows:
            raw = cipher.open(photo.template, f"reference_photos:{photo.id}:template")
            entry = WatchlistEntry(photo.entry_id, name, np.frombuffer(raw, np.float32).copy())
            (by_site.setdefault(site, []) if site else everywhere).append(entry)
    return SiteTemplates(
        tuple(everywhere), {k: tuple(v) for k, v in by_site.items()}, frozenset(sites)
    )


def _fingerprint(entries: tuple[WatchlistEntry, ...]) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(entry.subject_id.encode() + b"\0" + entry.template.tobytes())
    return digest.hexdigest()


class ClusterLink:
    """Consumes cluster alerts and publishes watchlists until ``stop``; use as a context."""

    def __init__(
        self,
        db: Database,
        cipher: BlobCipher,
        clock: Callable[[], datetime],
        config: ClusterConfig,
        cluster_cipher: ClusterCipher,
        model_id: str,
    ) -> None:
        self._db, self._cipher, self._clock = db, cipher, clock
        self.config, self._cluster_cipher, self.model_id = config, cluster_cipher, model_id
        self.counters = ConsumerCounters()
        self.published: dict[str, str] = {}  # site -> fingerprint of its published list
        self.connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._buckets: ClusterBuckets | None = None
        self._sync_lock: asyncio.Lock | None = None

    def start(self) -> None:
        started = threading.Event()
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._main(started),),
            name="clearsight-cluster",
            daemon=True,
        )
        self._thread.start()
        started.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> ClusterLink:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def publish_watchlists(self) -> None:
        """Publish every site whose approved list changed (returns at once; runs in the
        link's thread). Before the link is connected, the sync at connection covers it."""
        if self._loop is not None and self._buckets is not None:
            asyncio.run_coroutine_threadsafe(self._sync(), self._loop)

    def wait_published(self, timeout: float = 10.0) -> None:
        """Block until watchlist publishing that was asked for has finished (for tests)."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._sync(), self._loop).result(timeout)

    async def _sync(self) -> None:
        if self._buckets is None or self._sync_lock is None:
            return
        async with self._sync_lock:
            try:
                await self._publish_changed(self._buckets)
            except Exception:  # a failed round is logged; the next change or round retries
                _log.exception("publishing watchlists to the cluster failed")

    async def _publish_changed(self, buckets: ClusterBuckets) -> None:
        templates = await asyncio.to_thread(
            site_watchlists, self._db, self._cipher, self._clock(), self.model_id
        )
        try:
            held = set(await buckets.watchlists.keys())
        except KeyValueError:  # nats-py raises NoKeysError (a subclass) when the bucket is empty
            held = set()
        for site in sorted(templates.sites | held):
            entries = templates.for_site(site)
            fingerprint = _fingerprint(entries)
            if self.published.get(site) == fingerprint:
                continue
            await put_watchlist(
                buckets, self.config, site, self.model_id, entries, self._cluster_cipher
            )
            self.published[site] = fingerprint
            _log.info("watchlist of site %s published: %d templates", site, len(entries))

    async def _main(self, started: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._sync_lock = asyncio.Lock()
        started.set()
        while not self._stop.is_set():
            try:
                await self._session(self._stop)
            except Exception:  # the service keeps serving; the link starts again shortly
                _log.exception("the cluster link failed; reconnecting in 2 s")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 2.0)

    async def _session(self, stop: asyncio.Event) -> None:
        """Connect (retrying until ``stop``), publish the watchlists, consume until ``stop``."""
        connecting = asyncio.create_task(
            connect(self.config, name="clearsight-service", attempts=None)
        )
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not connecting.done():
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
            return
        stopping.cancel()
        nc = connecting.result()
        try:
            js = nc.jetstream(timeout=5)
            self._buckets = await ensure_cluster(js, self.config)
            self.connected.set()
            self.published.clear()  # the server may have lost the bucket: publish every site
            await self._sync()
            sink = ServiceAlertSink(self._db, self._cipher, self._clock)
            await consume_alerts(js, self.config, sink, self._cluster_cipher, stop, self.counters)
        finally:
            self._buckets = None
            await nc.close()
