"""Whole-cluster scenarios with real processes, NATS and PostgreSQL (each well under 60 s):
kill -9 a worker, kill -9 the consumer while alerts flow, NATS unavailable."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from clearsight.cluster import (
    CameraSpec,
    ClusterConfig,
    ClusterNames,
    PostgresAlertSink,
    WatchlistEntry,
    connect,
    ensure_cluster,
    put_cameras,
    put_watchlist,
)
from clearsight.cluster._observe import ClusterObserver
from clearsight.cluster._procs import ClusterProcesses, NatsServer, free_port
from clearsight.crypto import BlobCipher, KeyRing

from .conftest import synthetic_simulation

pytestmark = pytest.mark.timeout(120)


async def _setup(config: ClusterConfig, cameras: int, cipher: BlobCipher) -> None:
    data = synthetic_simulation()
    nc = await connect(config, name="test-setup", attempts=None)
    buckets = await ensure_cluster(nc.jetstream(timeout=5), config)
    await put_cameras(
        buckets,
        [
            CameraSpec(camera_id=f"cam-{i:03d}", site=f"site-{i % 2}", source="sim:")
            for i in range(cameras)
        ],
    )
    for site in range(2):
        row = data.rows_of(site)[0]
        entry = WatchlistEntry(f"person-{site}", data.names[site], data.embeddings[row])
        await put_watchlist(buckets, config, f"site-{site}", data.model_id, [entry], cipher)
    await nc.close()


async def _observe(config: ClusterConfig) -> tuple[object, ClusterObserver]:
    nc = await connect(config, name="test-observer")
    observer = ClusterObserver(await ensure_cluster(nc.jetstream(timeout=5), config))
    observer.start()
    return nc, observer


def test_kill_9_worker_cameras_run_elsewhere_within_10_s(
    nats_url: str,
    namespace: str,
    ring: KeyRing,
    cipher: BlobCipher,
    sim_file: Path,
    tmp_path: Path,
) -> None:
    config = ClusterConfig(nats_url=nats_url, namespace=namespace)
    procs = ClusterProcesses(nats_url, namespace, ring.to_text(), tmp_path / "procs")

    async def main() -> None:
        await _setup(config, 40, cipher)
        nc, observer = await _observe(config)
        try:
            for index in range(3):
                procs.start_worker(index, sim_file, 5.0)
            ready = await observer.wait_for(
                lambda: len(observer.running()) == 40 and len(observer.live_workers()) == 3, 45
            )
            assert ready is not None, f"only {len(observer.running())} cameras running"
            victim = procs.workers[0]
            victim_id = observer.worker_of_pid(victim.pid)
            held = {c for c, w in observer.running().items() if w == victim_id}
            assert held, "the victim ran no camera"
            status = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from clearsight.cli import main; main()",
                    "cluster",
                    "status",
                    "--nats",
                    nats_url,
                    "--namespace",
                    namespace,
                    "--json",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            listed = json.loads(status.stdout)
            assert listed["cameras"] == 40 and len(listed["workers"]) == 3
            assert sum(len(w["cameras"]) for w in listed["workers"]) == 40
            procs.kill_worker(0)
            moved = await observer.wait_for(
                lambda: all(observer.running().get(c) not in (None, victim_id) for c in held), 20
            )
            assert moved is not None and moved < 10, f"cameras moved after {moved} s"
            running = observer.running()
            assert set(running) == {f"cam-{i:03d}" for i in range(40)}
            assert victim_id not in set(running.values())
        finally:
            procs.stop_all()
            await observer.stop()
            await nc.close()  # type: ignore[attr-defined]

    asyncio.run(main())


def _stored(dsn: str, schema: str) -> set[str]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(f"SELECT alert_id FROM {schema}.alerts").fetchall()  # type: ignore[arg-type]
    return {str(r[0]) for r in rows}


async def _stream_ids(config: ClusterConfig) -> set[str]:
    from clearsight.cluster._scale import _stream_ids as read

    nc = await connect(config, name="test-reader")
    try:
        return await read(nc.jetstream(timeout=5), ClusterNames(config.namespace))
    finally:
        await nc.close()


@pytest.fixture
def schema(pg_dsn: str, cipher: BlobCipher, namespace: str) -> object:
    name = f"cluster_{namespace}"
    sink = PostgresAlertSink(pg_dsn, cipher, name)
    sink.create_schema()
    sink.close()
    yield name
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")  # type: ignore[arg-type]


@pytest.mark.postgres
def test_kill_9_consumer_while_alerts_flow_every_alert_stored_once(
    nats_url: str,
    namespace: str,
    ring: KeyRing,
    cipher: BlobCipher,
    sim_file: Path,
    tmp_path: Path,
    pg_dsn: str,
    schema: str,
) -> None:
    config = ClusterConfig(nats_url=nats_url, namespace=namespace)
    procs = ClusterProcesses(nats_url, namespace, ring.to_text(), tmp_path / "procs")

    async def main() -> tuple[set[str], set[str]]:
        await _setup(config, 30, cipher)
        try:
            procs.start_consumer(pg_dsn, schema)
            for index in range(2):
                procs.start_worker(index, sim_file, 0.5)  # about 30 alerts/s in all
            deadline = time.monotonic() + 40
            while len(_stored(pg_dsn, schema)) < 50 and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            procs.kill_consumer()  # mid-flow: fetched, maybe committed, not all acked
            before = len(_stored(pg_dsn, schema))
            await asyncio.sleep(2)
            procs.start_consumer(pg_dsn, schema)
            await asyncio.sleep(3)
            procs.stop_workers()  # graceful: they flush their buffers
            stream = await _stream_ids(config)
            deadline = time.monotonic() + 30
            while len(_stored(pg_dsn, schema)) < len(stream) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            assert len(stream) > before > 0
            return stream, _stored(pg_dsn, schema)
        finally:
            procs.stop_all()

    stream, stored = asyncio.run(main())
    assert stored == stream  # every published alert, once (the table's key forbids twice)


def _final_counts(log: Path) -> dict[str, int]:
    text = log.read_text(encoding="utf-8", errors="replace")
    found = re.findall(
        r"stopped: alerts (\d+), published (\d+), buffered (\d+), overflow (\d+)", text
    )
    assert found, f"no final line in {log}:\n{text[-2000:]}"
    alerts, published, buffered, overflow = (int(v) for v in found[-1])
    return {"alerts": alerts, "published": published, "buffered": buffered, "overflow": overflow}


@pytest.mark.postgres
def test_nats_down_workers_buffer_then_deliver_and_count_overflow(
    ring: KeyRing,
    cipher: BlobCipher,
    sim_file: Path,
    tmp_path: Path,
    pg_dsn: str,
    nats_url: str,
) -> None:
    """A private nats-server (never the shared one) is stopped for 8 s and started again."""
    namespace = "outage"
    server = NatsServer(free_port(), tmp_path / "nats")
    config = ClusterConfig(nats_url=server.url, namespace=namespace)
    procs = ClusterProcesses(server.url, namespace, ring.to_text(), tmp_path / "procs")
    schema = f"cluster_outage_{free_port()}"
    sink = PostgresAlertSink(pg_dsn, cipher, schema)
    sink.create_schema()
    sink.close()

    async def main() -> tuple[dict[str, int], set[str], set[str], int]:
        # The worker starts before the server: it keeps trying instead of failing.
        procs.start_worker(0, sim_file, 0.3, ["--buffer-alerts", "40"])
        await asyncio.sleep(2)
        assert procs.workers[0].poll() is None
        server.start()
        await _setup(config, 20, cipher)
        procs.start_consumer(pg_dsn, schema)
        deadline = time.monotonic() + 40
        while len(_stored(pg_dsn, schema)) < 20 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        assert len(_stored(pg_dsn, schema)) >= 20, "no alerts flowed before the outage"
        server.stop()
        await asyncio.sleep(8)  # the worker goes on matching; alerts wait on disk, then overflow
        buffered = _buffered(tmp_path / "procs" / "worker-0" / "outbox.sqlite3")
        server.start()
        await asyncio.sleep(6)
        procs.stop_workers()
        counts = _final_counts(tmp_path / "procs" / "worker-0.log")
        stream = await _stream_ids(config)
        deadline = time.monotonic() + 30
        while len(_stored(pg_dsn, schema)) < len(stream) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        return counts, stream, _stored(pg_dsn, schema), buffered

    try:
        counts, stream, stored, buffered = asyncio.run(main())
    finally:
        procs.stop_all()
        server.stop()
        with psycopg.connect(pg_dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # type: ignore[arg-type]
    assert buffered == 40  # the bound was reached while NATS was down
    assert counts["overflow"] > 0 and counts["buffered"] == 0
    assert stored == stream
    # Nothing vanished: every alert raised is stored, or was refused and counted.
    assert counts["alerts"] == len(stored) + counts["overflow"]


def _buffered(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])


def test_cli_reports_unreachable_nats_on_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from clearsight.cli import main; main()",
            "cluster",
            "status",
            "--nats",
            f"nats://127.0.0.1:{free_port()}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("clearsight: error: cannot reach NATS")
    assert "Traceback" not in result.stderr


def test_cli_rejects_a_bad_namespace(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from clearsight.cli import main; main()",
            "worker",
            "--namespace",
            "bad.name",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"CLEARSIGHT_KEY": "", "PATH": ""},
    )
    assert result.returncode == 2
    assert "--namespace" in result.stderr and "Traceback" not in result.stderr
