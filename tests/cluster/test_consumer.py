"""The alert consumer against the real NATS server: ack only after the sink commits,
redelivery on a store failure, duplicates absorbed, unreadable messages set aside."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest
from tests.points import CLUSTER_FIELDS

from clearsight.cluster import (
    ClusterAlert,
    ClusterConfig,
    ClusterNames,
    ConsumerCounters,
    Outbox,
    PostgresAlertSink,
    connect,
    consume_alerts,
    ensure_cluster,
    seal_alert,
)
from clearsight.cluster._publisher import MSG_ID_HEADER, publish_outbox
from clearsight.cluster._worker_metrics import WorkerCounters
from clearsight.crypto import BlobCipher
from clearsight.errors import StoreError


def _alert(alert_id: str) -> ClusterAlert:
    now = datetime.now(UTC)
    return ClusterAlert(
        alert_id=alert_id,
        site="north",
        camera_id="cam-1",
        worker_id="w1",
        subject_id="s1",
        subject_name="Someone",
        track_id=1,
        score=0.97,
        estimated_fmr=1e-5,
        samples_used=3,
        agreeing_samples=3,
        capture_time=now,
        decided_at=now,
        model_id="dlib-resnet-v1",
        **CLUSTER_FIELDS,
        crop_jpeg=b"jpeg",
    )


class FlakySink:
    """An in-memory sink that fails the first attempt at some alerts (a database hiccup)."""

    def __init__(self, fail_once: set[str]) -> None:
        self.rows: dict[str, ClusterAlert] = {}
        self.calls: list[str] = []
        self._fail_once = set(fail_once)

    def store_alert(self, alert: ClusterAlert) -> bool:
        self.calls.append(alert.alert_id)
        if alert.alert_id in self._fail_once:
            self._fail_once.discard(alert.alert_id)
            raise StoreError(f"alert {alert.alert_id}: database unavailable")
        if alert.alert_id in self.rows:
            return False
        self.rows[alert.alert_id] = alert
        return True


async def _run(
    config: ClusterConfig,
    sink: FlakySink,
    cipher: BlobCipher,
    until: int,
    counters: ConsumerCounters,
) -> None:
    nc = await connect(config, name="test-consumer")
    js = nc.jetstream(timeout=5)
    stop = asyncio.Event()
    task = asyncio.create_task(consume_alerts(js, config, sink, cipher, stop, counters))
    for _ in range(150):
        if len(sink.rows) >= until and counters.rejected >= 1:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await task
    await nc.close()


def test_consumer_stores_each_alert_once_despite_failures_and_resends(
    nats_url: str, namespace: str, cipher: BlobCipher, tmp_path: object
) -> None:
    from pathlib import Path

    config = ClusterConfig(nats_url=nats_url, namespace=namespace)
    names = ClusterNames(namespace)
    sink = FlakySink(fail_once={"a3"})
    counters = ConsumerCounters()

    async def main() -> None:
        nc = await connect(config, name="test-publisher")
        js = nc.jetstream(timeout=5)
        await ensure_cluster(js, config)
        box = Outbox(Path(str(tmp_path)) / "outbox.sqlite3", 100)
        for i in range(10):
            box.add(
                f"a{i}",
                names.alert_subject("north"),
                seal_alert(_alert(f"a{i}"), cipher, namespace),
            )
        worker_counters = WorkerCounters()
        assert await publish_outbox(js, box, 64, worker_counters) == 10
        # A worker that crashed before removing its buffer publishes again: JetStream drops it.
        await js.publish(
            names.alert_subject("north"),
            seal_alert(_alert("a4"), cipher, namespace),
            headers={MSG_ID_HEADER: "a4"},
        )
        await js.publish(names.alert_subject("north"), b"garbage", headers={MSG_ID_HEADER: "bad"})
        assert (await js.stream_info(names.alert_stream)).state.messages == 11
        await nc.close()
        await _run(config, sink, cipher, 10, counters)

    asyncio.run(main())
    assert sorted(sink.rows) == sorted(f"a{i}" for i in range(10))
    assert sink.calls.count("a3") == 2  # failed, left unacked, redelivered, stored
    assert (counters.stored, counters.rejected, counters.retried) == (10, 1, 1)


def test_an_unacked_alert_comes_back_to_the_next_consumer(
    nats_url: str, namespace: str, cipher: BlobCipher
) -> None:
    """A consumer that stored an alert but died before acking: the next one finds it stored."""
    config = ClusterConfig(nats_url=nats_url, namespace=namespace)
    names = ClusterNames(namespace)
    sink = FlakySink(set())

    class DiesBeforeAck(FlakySink):
        def store_alert(self, alert: ClusterAlert) -> bool:
            sink.store_alert(alert)  # committed...
            raise asyncio.CancelledError  # ...and the process is gone before the ack

    async def main() -> None:
        nc = await connect(config, name="t")
        js = nc.jetstream(timeout=5)
        await ensure_cluster(js, config)
        await js.publish(
            names.alert_subject("north"),
            seal_alert(_alert("z1"), cipher, namespace),
            headers={MSG_ID_HEADER: "z1"},
        )
        stop = asyncio.Event()
        with contextlib.suppress(asyncio.CancelledError):
            await consume_alerts(js, config, DiesBeforeAck(set()), cipher, stop)
        # The consumer's ack wait is 30 s; a shorter wait stands in for it here.
        info = await js.consumer_info(names.alert_stream, names.alert_consumer)
        config_short = info.config
        config_short.ack_wait = 1
        await js.add_consumer(names.alert_stream, config_short)
        await nc.close()
        await asyncio.sleep(1.5)
        counters = ConsumerCounters()
        nc = await connect(config, name="t2")
        stop = asyncio.Event()
        task = asyncio.create_task(
            consume_alerts(nc.jetstream(timeout=5), config, sink, cipher, stop, counters)
        )
        for _ in range(100):
            if counters.duplicates:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await task
        await nc.close()
        assert counters.duplicates == 1 and counters.stored == 0

    asyncio.run(main())
    assert list(sink.rows) == ["z1"]


@pytest.mark.postgres
def test_postgres_sink_is_idempotent_and_keeps_evidence_encrypted(
    pg_dsn: str, cipher: BlobCipher
) -> None:
    import psycopg

    schema = "cluster_test_sink"
    sink = PostgresAlertSink(pg_dsn, cipher, schema)
    try:
        sink.create_schema()
        alert = _alert("p1")
        assert sink.store_alert(alert) is True
        assert sink.store_alert(alert) is False
        with psycopg.connect(pg_dsn) as connection:
            rows = connection.execute(
                f"SELECT alert_id, site, crop_sealed FROM {schema}.alerts"  # type: ignore[arg-type]
            ).fetchall()
        assert len(rows) == 1 and rows[0][:2] == ("p1", "north")
        sealed = bytes(rows[0][2])
        assert b"jpeg" not in sealed
        assert cipher.decrypt(sealed, b"cluster-alert/p1") == b"jpeg"
    finally:
        sink.close()
        with psycopg.connect(pg_dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # type: ignore[arg-type]


def test_bad_schema_name_is_refused(cipher: BlobCipher) -> None:
    with pytest.raises(StoreError, match="schema name"):
        PostgresAlertSink("postgresql://x", cipher, "a; DROP TABLE x")
