"""``clearsight serve --nats``: cluster alerts from the real NATS JetStream stream into the
service's store (SQLite and PostgreSQL), exactly once, and watchlists out to the workers."""

from __future__ import annotations

import asyncio
import io
import secrets
import time
from collections.abc import Callable
from datetime import timedelta

import nats
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select
from tests.points import CLUSTER_FIELDS
from tests.service.conftest import NOW, fake_photo, make_user
from tests.service.test_store import draft

from clearsight.audit import AuditAction
from clearsight.cluster import (
    ClusterAlert,
    ClusterConfig,
    ClusterNames,
    ensure_cluster,
    open_watchlist,
    seal_alert,
)
from clearsight.crypto import BlobCipher, KeyRing, new_key
from clearsight.service.cluster_link import ClusterLink, ServiceAlertSink, site_watchlists
from clearsight.store import (
    AesGcmCipher,
    AlertRecord,
    AuditRecord,
    Database,
    Role,
    alerts,
    audit_log,
    watchlist,
)
from clearsight.store._watchlist import ExpiryRule

MODEL = "test-model"


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing((new_key(),))


def _jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, size=(48, 40, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG")
    return out.getvalue()


def cluster_alert(subject_id: str, site: str, n: int) -> ClusterAlert:
    return ClusterAlert(
        alert_id=secrets.token_hex(12),
        site=site,
        camera_id=f"cam-{n}",
        worker_id="w1",
        subject_id=subject_id,
        subject_name="ignored",
        track_id=n,
        score=0.93,
        estimated_fmr=1e-4,
        samples_used=5,
        agreeing_samples=4,
        capture_time=NOW,
        decided_at=NOW,
        model_id=MODEL,
        **CLUSTER_FIELDS,
        crop_jpeg=_jpeg(n),
    )


async def publish_alerts(
    config: ClusterConfig, cipher: BlobCipher, items: list[ClusterAlert]
) -> None:
    names = ClusterNames(config.namespace)
    nc = await nats.connect(config.nats_url)
    js = nc.jetstream()
    await ensure_cluster(js, config)
    for alert in items:
        await js.publish(
            names.alert_subject(alert.site),
            seal_alert(alert, cipher, config.namespace),
            headers={"Nats-Msg-Id": alert.alert_id},
        )
    await nc.close()


async def _drop_consumer(config: ClusterConfig) -> None:
    names = ClusterNames(config.namespace)
    nc = await nats.connect(config.nats_url)
    await nc.jetstream().delete_consumer(names.alert_stream, names.alert_consumer)
    await nc.close()


def _approved_entry(db: Database, cipher: AesGcmCipher, site: str = "", seed: int = 1) -> str:
    enroller = make_user(db, f"enr{seed}", Role.ENROLLER)
    approver = make_user(db, f"adm{seed}", Role.ADMIN)
    with db.session() as s:
        entry = watchlist.create_entry(
            s, cipher, draft(site=site), [fake_photo(seed, MODEL)], enroller, NOW, ExpiryRule()
        )
    with db.session() as s:
        watchlist.approve_entry(s, entry.id, approver, NOW)
    return entry.id


def _wait(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _link(db: Database, cipher: AesGcmCipher, config: ClusterConfig, ring: KeyRing) -> ClusterLink:
    return ClusterLink(
        db, cipher, lambda: NOW + timedelta(minutes=1), config, BlobCipher(ring), MODEL
    )


def test_cluster_alerts_stored_once_with_evidence_and_audit(
    db: Database, cluster_config: ClusterConfig, ring: KeyRing
) -> None:
    config = cluster_config
    cipher = AesGcmCipher(BlobCipher(ring))
    subject = _approved_entry(db, cipher)
    published = [cluster_alert(subject, "north", n) for n in range(6)]
    unknown = cluster_alert("no-such-entry", "north", 99)
    asyncio.run(publish_alerts(config, BlobCipher(ring), [*published[:3], unknown, *published[3:]]))
    with _link(db, cipher, config, ring) as link:
        _wait(lambda: link.counters.stored + link.counters.rejected == 7, "7 alerts handled")
    assert (link.counters.stored, link.counters.rejected, link.counters.duplicates) == (6, 1, 0)
    with db.read_session() as s:
        rows = s.scalars(select(AlertRecord)).all()
        assert sorted(r.idempotency_key for r in rows) == sorted(a.alert_id for a in published)
        assert {r.site for r in rows} == {"north"} and {r.status for r in rows} == {"pending"}
        crop = alerts.open_crop(cipher, rows[0].crops[0])
        assert Image.open(io.BytesIO(crop)).size == (40, 48)
        created = s.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.action == AuditAction.ALERT_CREATED.value)
        )
        assert created == 6
        assert audit_log.verify(s).ok
        assert [a.id for a in alerts.list_alerts(s, None)]  # in the review queue
    # Redelivery of everything (the durable consumer is gone, the stream is replayed):
    # every alert is found already stored; nothing is duplicated.
    asyncio.run(_drop_consumer(config))
    with _link(db, cipher, config, ring) as again:
        _wait(lambda: again.counters.duplicates + again.counters.rejected == 7, "replay")
    assert (again.counters.stored, again.counters.duplicates) == (0, 6)
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(AlertRecord)) == 6


def test_sink_is_idempotent_on_the_alert_id(db: Database, ring: KeyRing) -> None:
    cipher = AesGcmCipher(BlobCipher(ring))
    subject = _approved_entry(db, cipher)
    sink = ServiceAlertSink(db, cipher, lambda: NOW)
    alert = cluster_alert(subject, "south", 1)
    assert sink.store_alert(alert) is True
    assert sink.store_alert(alert) is False  # a redelivery after the commit, before the ack
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(AlertRecord)) == 1


def test_site_scoped_entry_refuses_another_sites_alert(db: Database, ring: KeyRing) -> None:
    from clearsight.errors import PolicyError

    cipher = AesGcmCipher(BlobCipher(ring))
    subject = _approved_entry(db, cipher, site="north")
    sink = ServiceAlertSink(db, cipher, lambda: NOW)
    with pytest.raises(PolicyError, match="listed for site north"):
        sink.store_alert(cluster_alert(subject, "south", 1))
    assert sink.store_alert(cluster_alert(subject, "north", 2)) is True


def test_site_watchlists_split_by_scope(db: Database, ring: KeyRing) -> None:
    cipher = AesGcmCipher(BlobCipher(ring))
    everywhere = _approved_entry(db, cipher, "", seed=1)
    north = _approved_entry(db, cipher, "north", seed=2)
    south = _approved_entry(db, cipher, "south", seed=3)
    lists = site_watchlists(db, cipher, NOW + timedelta(minutes=1), MODEL)
    assert lists.sites == {"north", "south"}
    assert {e.subject_id for e in lists.for_site("north")} == {everywhere, north}
    assert {e.subject_id for e in lists.for_site("south")} == {everywhere, south}
    assert np.allclose(lists.for_site("north")[0].template.shape, (128,))


async def _read_watchlist(config: ClusterConfig, ring: KeyRing, site: str) -> tuple[str, ...]:
    nc = await nats.connect(config.nats_url)
    buckets = await ensure_cluster(nc.jetstream(), config)
    entry = await buckets.watchlists.get(site)
    await nc.close()
    assert entry.value is not None
    gallery = open_watchlist(site, entry.value, BlobCipher(ring), ClusterNames(config.namespace))
    return gallery.subject_ids


def test_watchlists_published_on_approval_and_expiry(
    db: Database, cluster_config: ClusterConfig, ring: KeyRing
) -> None:
    config = cluster_config
    cipher = AesGcmCipher(BlobCipher(ring))
    everywhere = _approved_entry(db, cipher, "", seed=1)
    clock = [NOW + timedelta(minutes=1)]
    link = ClusterLink(db, cipher, lambda: clock[0], config, BlobCipher(ring), MODEL)
    enroller = make_user(db, "enr9", Role.ENROLLER)
    approver = make_user(db, "adm9", Role.ADMIN)
    with db.session() as s:
        pending = watchlist.create_entry(
            s,
            cipher,
            draft(site="north", expires_at=NOW + timedelta(days=2)),
            [fake_photo(9, MODEL)],
            enroller,
            NOW,
            ExpiryRule(),
        )
    with link:
        _wait(link.connected.is_set, "connection")
        link.wait_published()
        assert set(asyncio.run(_read_watchlist(config, ring, "north"))) == {everywhere}
        with db.session() as s:
            watchlist.approve_entry(s, pending.id, approver, clock[0])
        link.wait_published()
        assert set(asyncio.run(_read_watchlist(config, ring, "north"))) == {everywhere, pending.id}
        clock[0] = NOW + timedelta(days=3)  # the north entry has expired
        link.wait_published()
        assert set(asyncio.run(_read_watchlist(config, ring, "north"))) == {everywhere}
