"""A cluster worker with a real camera: the demo clip through supervised pipeline processes,
the site's watchlist from the bucket, and only the watchlisted walker's alert on the stream."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from clearsight.cluster import (
    CameraSpec,
    ClusterAlert,
    ClusterConfig,
    ConsumerCounters,
    WatchlistEntry,
    Worker,
    WorkerSettings,
    connect,
    consume_alerts,
    ensure_cluster,
    put_cameras,
    put_watchlist,
)
from clearsight.cluster._supervised import SupervisedCameras
from clearsight.config import ClearsightConfig, IngestConfig
from clearsight.crypto import BlobCipher
from clearsight.workers import SupervisorOptions

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


class ListSink:
    def __init__(self) -> None:
        self.alerts: list[ClusterAlert] = []

    def store_alert(self, alert: ClusterAlert) -> bool:
        self.alerts.append(alert)
        return True


def test_demo_clip_alerts_on_the_sites_watchlist_only(
    nats_url: str, namespace: str, cipher: BlobCipher, demo_clip: Path, tmp_path: Path
) -> None:
    from clearsight.demo import demo_portraits
    from clearsight.enrollment import enroll_face

    collins = demo_portraits()[0]  # Collins walks past first, Grace Hopper (not listed) second
    face = enroll_face(collins.image, collins.name)
    config = ClusterConfig(nats_url=nats_url, namespace=namespace)
    camera_settings = ClearsightConfig(ingest=IngestConfig(realtime=False, loop=False, max_fps=5.0))
    options = SupervisorOptions(
        backoff_initial_s=0.5, backoff_max_s=2.0, stop_grace_s=3.0, status_interval_s=0.5
    )
    sink = ListSink()

    def runner(galleries, emit):  # type: ignore[no-untyped-def]
        return SupervisedCameras(camera_settings, galleries, emit, options)

    async def main() -> None:
        nc = await connect(config, name="test")
        js = nc.jetstream(timeout=5)
        buckets = await ensure_cluster(js, config)
        entry = WatchlistEntry("subject-collins", collins.name, face.embedding.vector)
        await put_watchlist(buckets, config, "north", face.embedding.model_id, [entry], cipher)
        await put_cameras(
            buckets, [CameraSpec(camera_id="door", site="north", source=str(demo_clip))]
        )
        worker = Worker(config, WorkerSettings(tmp_path / "worker"), cipher, runner)
        stop_worker, stop_consumer = asyncio.Event(), asyncio.Event()
        running = asyncio.create_task(worker.run(stop_worker))
        counters = ConsumerCounters()
        consuming = asyncio.create_task(
            consume_alerts(js, config, sink, cipher, stop_consumer, counters)
        )
        for _ in range(1800):
            if sink.alerts or running.done():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(8)  # Hopper's passage follows: it must not produce an alert
        stop_worker.set()
        await running
        stop_consumer.set()
        await consuming
        await nc.close()

    asyncio.run(main())
    assert [(a.site, a.camera_id, a.subject_name) for a in sink.alerts] == [
        ("north", "door", "Eileen Collins")
    ]
    assert sink.alerts[0].crop_jpeg.startswith(b"\xff\xd8")
