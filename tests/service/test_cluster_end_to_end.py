"""Service and worker together on the real NATS: the service publishes each site's approved
watchlist, a worker matches simulated cameras against it at the edge, and its alerts enter
the service's review queue under the service's own entry ids and the camera's site."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.cluster.conftest import synthetic_simulation
from tests.service.conftest import make_user
from tests.service.test_store import draft

from clearsight.cluster import (
    CameraSpec,
    ClusterConfig,
    SimulationData,
    Worker,
    WorkerSettings,
    connect,
    ensure_cluster,
    put_cameras,
)
from clearsight.cluster._simulate import SimulatedCameras, SimulationRates
from clearsight.config import MatchConfig
from clearsight.crypto import BlobCipher, KeyRing, new_key
from clearsight.match import load_card, operating_point
from clearsight.service.cluster_link import ClusterLink
from clearsight.store import AesGcmCipher, AlertRecord, Database, Role, encode_png, watchlist
from clearsight.store._watchlist import EnrolledPhoto, ExpiryRule
from clearsight.types import Embedding

pytestmark = pytest.mark.timeout(120)


def _entry(db: Database, cipher: AesGcmCipher, data: SimulationData, person: int, site: str) -> str:
    import numpy as np

    enroller = make_user(db, f"enr{person}", Role.ENROLLER)
    approver = make_user(db, f"adm{person}", Role.ADMIN)
    now = datetime.now(UTC)
    template = data.embeddings[data.rows_of(person)[0]]
    photo = EnrolledPhoto(
        encode_png(np.zeros((8, 8, 3), np.uint8)), Embedding(template, data.model_id)
    )
    with db.session() as s:
        entry = watchlist.create_entry(
            s,
            cipher,
            draft(name=data.names[person], site=site),
            [photo],
            enroller,
            now,
            ExpiryRule(),
        )
    with db.session() as s:
        watchlist.approve_entry(s, entry.id, approver, now)
    return str(entry.id)


def _run_worker(
    config: ClusterConfig,
    cipher: BlobCipher,
    data: SimulationData,
    folder: Path,
    stop: threading.Event,
) -> None:
    rates = SimulationRates(track_every_s=0.2, samples_per_track=(3, 3), sample_every_s=0.02)

    def runner(galleries, emit):  # type: ignore[no-untyped-def]
        return SimulatedCameras(data, galleries, emit, rates, seed=11)

    async def main() -> None:
        nc = await connect(config, name="test-admin")
        buckets = await ensure_cluster(nc.jetstream(timeout=5), config)
        await put_cameras(
            buckets, [CameraSpec(camera_id=f"n{i}", site="north", source="sim:") for i in range(3)]
        )
        await nc.close()
        halt = asyncio.Event()
        worker = Worker(config, WorkerSettings(folder), cipher, runner)
        running = asyncio.create_task(worker.run(halt))
        while not stop.is_set():
            await asyncio.sleep(0.1)
        halt.set()
        await running

    asyncio.run(main())


def test_worker_alerts_on_service_published_watchlist_enter_the_review_queue(
    tmp_path: Path, cluster_config: ClusterConfig
) -> None:
    ring = KeyRing((new_key(),))
    cipher = AesGcmCipher(BlobCipher(ring))
    db = Database.for_data_dir(tmp_path)
    db.migrate()
    data = synthetic_simulation()
    north = _entry(db, cipher, data, 0, "north")
    south_only = _entry(db, cipher, data, 1, "south")  # not on the north cameras' list
    stop = threading.Event()
    link = ClusterLink(
        db, cipher, lambda: datetime.now(UTC), cluster_config, BlobCipher(ring), data.model_id
    )
    with link:
        deadline = time.monotonic() + 20
        while not link.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        link.wait_published()
        assert set(link.published) == {"north", "south"}
        worker = threading.Thread(
            target=_run_worker, args=(cluster_config, BlobCipher(ring), data, tmp_path / "w", stop)
        )
        worker.start()
        try:
            deadline = time.monotonic() + 60
            while link.counters.stored < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop.set()
            worker.join(30)
    with db.read_session() as s:
        rows = s.scalars(select(AlertRecord)).all()
    db.dispose()
    assert len(rows) >= 3 and len(rows) == link.counters.stored
    assert {r.subject_id for r in rows} == {north}
    assert south_only not in {r.subject_id for r in rows}
    assert {r.site for r in rows} == {"north"} and {r.status for r in rows} == {"pending"}
    assert link.counters.rejected == 0
    # Every stored alert records the point the worker decided at: the card's, under the
    # default match config.
    point = operating_point(load_card(data.model_id), MatchConfig())
    assert {(r.threshold, r.threshold_rule, r.target_fmr, r.card_version) for r in rows} == {
        (point.threshold, point.rule, point.target_fmr, point.card_version)
    }
    assert all(r.score >= point.threshold for r in rows)
