"""The scale test: simulated cameras over several worker processes, one consumer process,
real NATS and PostgreSQL; kill -9 a worker and the consumer, optionally cut NATS, then check
that every published alert is stored exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from clearsight.cluster._admin import put_cameras, put_watchlist
from clearsight.cluster._config import ClusterConfig, ClusterNames
from clearsight.cluster._nats import connect, ensure_cluster
from clearsight.cluster._observe import ClusterObserver
from clearsight.cluster._pgsink import PostgresAlertSink
from clearsight.cluster._procs import ClusterProcesses, NatsServer, free_port
from clearsight.cluster._publisher import MSG_ID_HEADER
from clearsight.cluster._simdata import SimulationData, compute_simulation_data
from clearsight.cluster._watchlists import WatchlistEntry
from clearsight.cluster._wire import CameraSpec
from clearsight.crypto import BlobCipher, KeyRing, new_key
from clearsight.errors import StoreError

__all__ = ["ScaleOptions", "ScaleReport", "run_scale_test"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ScaleOptions:
    cameras: int
    workers: int
    sites: int
    duration_s: float
    track_every_s: float
    nats_url: str
    dsn: str
    namespace: str
    folder: Path
    sim_data: Path | None
    kill_worker: bool = True
    kill_consumer: bool = True
    nats_outage_s: float = 0.0
    """Above zero: run a private nats-server and stop it this long mid-run."""
    buffer_alerts: int = 100_000
    keep: bool = False


@dataclass(frozen=True)
class ScaleReport:
    cameras: int
    workers: int
    assignment_s: float | None
    moved_cameras: int
    failover_s: float | None
    samples_per_s: float
    alerts_stored: int
    alerts_per_s: float
    latency_ms: dict[str, tuple[float, float, float]]
    stream_alerts: int
    missing: int
    unexpected: int
    redelivered_duplicates: int
    overflow: int
    buffered_at_peak: int
    seconds: float

    def lines(self) -> list[str]:
        def when(value: float | None) -> str:
            return "not reached" if value is None else f"{value:.1f} s"

        out = [
            f"cameras {self.cameras} on {self.workers} workers; all running after "
            f"{when(self.assignment_s)}",
            f"face samples processed: {self.samples_per_s:.0f}/s across the cluster",
            f"alerts stored: {self.alerts_stored} ({self.alerts_per_s:.1f}/s)",
        ]
        for label, (p50, p95, p99) in self.latency_ms.items():
            out.append(
                f"alert latency, {label} (decided -> committed): "
                f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms"
            )
        if self.moved_cameras:
            out.append(
                f"kill -9 of a worker: its {self.moved_cameras} cameras ran elsewhere "
                f"after {when(self.failover_s)}"
            )
        out += [
            f"exactly once: {self.stream_alerts} alerts in the stream, {self.alerts_stored} "
            f"stored, {self.missing} missing, {self.unexpected} not in the stream; "
            f"{self.redelivered_duplicates} redeliveries found already stored",
            f"disk buffer: peak {self.buffered_at_peak} alerts waiting, overflow "
            f"{self.overflow} (counted, reported)",
            f"run time {self.seconds:.0f} s",
        ]
        return out


def _cameras(count: int, sites: int) -> list[CameraSpec]:
    return [
        CameraSpec(camera_id=f"cam-{i:05d}", site=f"site-{i % sites:03d}", source="sim:")
        for i in range(count)
    ]


async def _stream_ids(js: object, names: ClusterNames) -> set[str]:
    from nats.js import JetStreamContext

    if not isinstance(js, JetStreamContext):
        raise TypeError("a JetStream context is needed")
    subscription = await js.pull_subscribe(
        names.alert_subjects,
        stream=names.alert_stream,
        config=ConsumerConfig(
            ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, headers_only=True
        ),
    )
    info = await js.stream_info(names.alert_stream)
    ids: set[str] = set()
    seen = 0
    while seen < info.state.messages:
        try:
            messages = await subscription.fetch(1000, timeout=2)
        except TimeoutError:
            break
        for msg in messages:
            seen += 1
            ids.add((msg.headers or {}).get(MSG_ID_HEADER, ""))
    await subscription.unsubscribe()
    return ids


def _db(
    dsn: str, schema: str, query: str, args: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    try:
        with psycopg.connect(dsn) as connection:
            return list(connection.execute(query.format(schema=schema), args).fetchall())
    except psycopg.Error as error:
        raise StoreError(f"{schema}: {error}") from error


def _percentiles(
    dsn: str, schema: str, since: datetime | None, until: datetime | None
) -> tuple[float, float, float]:
    rows = _db(
        dsn,
        schema,
        "SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY "
        "extract(epoch FROM stored_at - decided_at) * 1000) FROM {schema}.alerts "
        "WHERE decided_at >= coalesce(%s::timestamptz, '-infinity') "
        "AND decided_at < coalesce(%s::timestamptz, 'infinity')",
        (since, until),
    )
    values = rows[0][0] if rows and rows[0][0] else [float("nan")] * 3
    return (float(values[0]), float(values[1]), float(values[2]))  # type: ignore[index]


async def run_scale_test(options: ScaleOptions, progress: Progress) -> ScaleReport:
    started = time.monotonic()
    ring = KeyRing((new_key(),))
    cipher = BlobCipher(ring)
    folder = options.folder
    folder.mkdir(parents=True, exist_ok=True)
    sim_path = options.sim_data or folder / "simulation.npz"
    if not sim_path.exists():
        progress("computing real face templates for the simulation (a few seconds)")
        compute_simulation_data(progress=progress).save(sim_path)
    data = SimulationData.load(sim_path)

    server: NatsServer | None = None
    nats_url = options.nats_url
    if options.nats_outage_s > 0:
        server = NatsServer(free_port(), folder / "nats")
        server.start()
        nats_url = server.url
        progress(f"private nats-server at {nats_url} (for the outage)")
    config = ClusterConfig(nats_url=nats_url, namespace=options.namespace)
    names = ClusterNames(options.namespace)
    schema = f"scale_{options.namespace}".lower()
    sink = PostgresAlertSink(options.dsn, cipher, schema)
    sink.create_schema()
    sink.close()

    nc = await connect(config, name="clearsight-scale-test", attempts=None)
    js = nc.jetstream(timeout=10)
    buckets = await ensure_cluster(js, config)
    await put_cameras(buckets, _cameras(options.cameras, options.sites))
    for site in range(options.sites):
        person = site % data.people
        row = data.rows_of(person)[0]  # the enrolled portrait; the variants are the probes
        entry = WatchlistEntry(f"person-{person}", data.names[person], data.embeddings[row])
        await put_watchlist(buckets, config, f"site-{site:03d}", data.model_id, [entry], cipher)
    progress(f"{options.cameras} cameras on {options.sites} sites written; watchlists published")

    procs = ClusterProcesses(nats_url, options.namespace, ring.to_text(), folder / "processes")
    observer = ClusterObserver(buckets)
    observer.start()
    extra = ["--buffer-alerts", str(options.buffer_alerts)]
    try:
        procs.start_consumer(options.dsn, schema)
        for index in range(options.workers):
            procs.start_worker(index, sim_path, options.track_every_s, extra)
        assignment = await observer.wait_for(
            lambda: (
                len(observer.running()) == options.cameras
                and len(observer.live_workers()) == options.workers
            ),
            120,
        )
        progress(
            f"all cameras running after {assignment} s"
            if assignment
            else f"only {len(observer.running())} cameras running after 120 s"
        )
        steady_from = datetime.now(UTC)
        await asyncio.sleep(options.duration_s / 3)
        rates = sum(b.rate for w, b in observer.beats.items() if w in observer.live_workers())
        steady_until = datetime.now(UTC)

        moved, failover = 0, None
        if options.kill_worker:
            victim = procs.workers[0]
            worker_id = observer.worker_of_pid(victim.pid) or ""
            held = {c for c, w in observer.running().items() if w == worker_id}
            procs.kill_worker(0)
            progress(
                f"kill -9 worker {worker_id} ({len(held)} cameras) at "
                f"{datetime.now(UTC).strftime('%H:%M:%S.%f')[:12]}"
            )
            leased = await observer.wait_for(
                lambda: all(observer.holders.get(c) not in (None, worker_id) for c in held), 60
            )
            failover = await observer.wait_for(
                lambda: all(observer.running().get(c) not in (None, worker_id) for c in held), 60
            )
            if leased is not None and failover is not None:
                failover += leased
            moved = len(held)
            for log in sorted(procs.folder.glob("worker-*.log")):
                for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                    if worker_id in line and "silent for" in line:
                        progress(f"{log.stem}: {line[11:23]} {line.split(': ', 1)[-1]}")
            progress(
                f"its cameras were leased to others after {leased} s, ran there after {failover} s"
            )
        if options.kill_consumer:
            procs.kill_consumer()
            progress("kill -9 the consumer while alerts flow; restart in 3 s")
            await asyncio.sleep(3)
            procs.start_consumer(options.dsn, schema)
        peak = 0
        if server is not None:
            progress(f"stopping NATS for {options.nats_outage_s:.0f} s")
            server.stop()
            await asyncio.sleep(options.nats_outage_s)
            # No heartbeats while NATS is down: read the buffers themselves (same machine).
            peak = max(
                peak, sum(_buffered(p) for p in procs.folder.glob("worker-*/outbox.sqlite3"))
            )
            server.start()
            progress("NATS back")
        await asyncio.sleep(options.duration_s / 3)
        peak = max([peak, *(b.buffered for b in observer.beats.values())])
        if options.kill_worker:
            # The killed worker's disk buffer may hold alerts it never published: a restart
            # on the same data directory delivers them.
            procs.start_worker(0, sim_path, options.track_every_s, extra)
            await asyncio.sleep(min(10.0, options.duration_s / 3))
        peak = max([peak, *(b.buffered for b in observer.beats.values())])
        progress("stopping workers (they flush their buffers)")
        procs.stop_workers()
        overflow = sum(_overflow(p) for p in procs.folder.glob("worker-*/outbox.sqlite3"))
        stream_total = int((await js.stream_info(names.alert_stream)).state.messages)
        await observer.wait_for(
            lambda: (
                int(_db(options.dsn, schema, "SELECT count(*) FROM {schema}.alerts")[0][0])  # type: ignore[call-overload]
                >= stream_total
            ),
            120,
            poll=1.0,
        )
        procs.stop_all()
        stream_ids = await _stream_ids(js, names)
        stored = {
            str(r[0]) for r in _db(options.dsn, schema, "SELECT alert_id FROM {schema}.alerts")
        }
        span = _db(
            options.dsn,
            schema,
            "SELECT extract(epoch FROM max(decided_at) - min(decided_at)) FROM {schema}.alerts",
        )
        seconds = float(span[0][0] or 0.0)  # type: ignore[arg-type]
        duplicates = sum(_consumer_duplicates(procs.folder / "consumer.log"))
        latency = {
            "undisturbed": _percentiles(options.dsn, schema, steady_from, steady_until),
            "whole run": _percentiles(options.dsn, schema, None, None),
        }
        return ScaleReport(
            cameras=options.cameras,
            workers=options.workers,
            assignment_s=assignment,
            moved_cameras=moved,
            failover_s=failover,
            samples_per_s=rates,
            alerts_stored=len(stored),
            alerts_per_s=len(stored) / seconds if seconds else 0.0,
            latency_ms=latency,
            stream_alerts=len(stream_ids),
            missing=len(stream_ids - stored),
            unexpected=len(stored - stream_ids),
            redelivered_duplicates=duplicates,
            overflow=overflow,
            buffered_at_peak=peak,
            seconds=time.monotonic() - started,
        )
    finally:
        procs.stop_all()
        await observer.stop()
        if not options.keep:
            for bucket in (
                names.cameras_bucket,
                names.leases_bucket,
                names.workers_bucket,
                names.watchlists_bucket,
            ):
                await js.delete_key_value(bucket)
            await js.delete_stream(names.alert_stream)
            with psycopg.connect(options.dsn, autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await nc.close()
        if server is not None:
            server.stop()


def _buffered(path: Path) -> int:
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(path)) as db:
            return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
    except sqlite3.Error:
        return 0


def _overflow(path: Path) -> int:
    """The buffer's persisted count of refused alerts (one file per worker data dir)."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(path)) as db:
            row = db.execute("SELECT value FROM counters WHERE name = 'overflow'").fetchone()
            return int(row[0]) if row else 0
    except sqlite3.Error:
        return 0


def _consumer_duplicates(log: Path) -> list[int]:
    """Duplicates counted by each consumer run (printed at its graceful end)."""
    if not log.exists():
        return []
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("stored ") and "duplicates" in line:
            found.append(int(line.split("duplicates ")[1].split(",")[0]))
    return found
