"""Edge matching in simulated cameras, per-site watchlists, and the metrics endpoint."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import numpy as np
import pytest

from clearsight.cluster import (
    CameraSpec,
    ClusterNames,
    WatchlistCache,
    WatchlistEntry,
    open_watchlist,
    seal_watchlist,
)
from clearsight.cluster._metrics import Metric, MetricsServer, render_metrics
from clearsight.cluster._simulate import SimulatedCameras, SimulationRates
from clearsight.config import MatchConfig
from clearsight.crypto import BlobCipher
from clearsight.errors import CryptoError
from clearsight.match import Gallery, load_card, operating_point
from clearsight.types import Alert

from .conftest import synthetic_simulation

NAMES = ClusterNames("ns")


def _listing(person: int) -> list[WatchlistEntry]:
    data = synthetic_simulation()
    row = data.rows_of(person)[0]
    return [WatchlistEntry(f"person-{person}", data.names[person], data.embeddings[row])]


def test_watchlist_round_trips_and_is_bound_to_its_site(cipher: BlobCipher) -> None:
    blob = seal_watchlist("north", "dlib-resnet-v1", _listing(0), cipher, NAMES)
    assert b"Person 0" not in blob
    gallery = open_watchlist("north", blob, cipher, NAMES)
    assert gallery.subject_names == ("Person 0",) and gallery.template_count == 1
    with pytest.raises(CryptoError):
        open_watchlist("south", blob, cipher, NAMES)  # a site's list cannot be replayed elsewhere


def test_cache_keeps_encrypted_copies_and_ignores_a_bad_update(
    tmp_path: Path, cipher: BlobCipher
) -> None:
    cache = WatchlistCache(tmp_path, cipher, NAMES)
    blob = seal_watchlist("north", "dlib-resnet-v1", _listing(0), cipher, NAMES)
    assert cache.update("north", 5, blob)
    assert b"Person 0" not in (tmp_path / "north.bin").read_bytes()
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    assert not cache.update("north", 6, tampered)
    gallery = cache.gallery("north")
    assert gallery is not None and gallery.subject_names == ("Person 0",)
    fresh = WatchlistCache(tmp_path, cipher, NAMES)
    assert fresh.load_from_disk("north") and fresh.gallery("north") is not None
    fresh.forget("north")
    assert not (tmp_path / "north.bin").exists() and fresh.gallery("north") is None


def _run_cameras(galleries: dict[str, Gallery], seconds: float) -> list[tuple[str, Alert]]:
    alerts: list[tuple[str, Alert]] = []
    data = synthetic_simulation()

    def emit(camera: CameraSpec, alert: Alert, model_id: str) -> None:
        alerts.append((camera.site, alert))

    async def main() -> None:
        cameras = SimulatedCameras(
            data,
            galleries.get,
            emit,
            SimulationRates(track_every_s=0.02, samples_per_track=(3, 4), sample_every_s=0.005),
            seed=3,
        )
        for i in range(6):
            cameras.start(
                CameraSpec(camera_id=f"c{i}", site=("north", "south")[i % 2], source="sim:")
            )
        task = asyncio.create_task(cameras.run())
        await asyncio.sleep(seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert cameras.take_stats().events > 0

    asyncio.run(main())
    return alerts


def test_simulated_cameras_alert_only_on_their_sites_watchlist(cipher: BlobCipher) -> None:
    galleries = {
        "north": open_watchlist(
            "north",
            seal_watchlist("north", "dlib-resnet-v1", _listing(0), cipher, NAMES),
            cipher,
            NAMES,
        ),
        "south": open_watchlist(
            "south",
            seal_watchlist("south", "dlib-resnet-v1", _listing(1), cipher, NAMES),
            cipher,
            NAMES,
        ),
    }
    alerts = _run_cameras(galleries, 1.0)
    assert len(alerts) > 5
    for site, alert in alerts:
        assert alert.subject_id == ("person-0" if site == "north" else "person-1")
    per_track = [(a.source, a.track_id) for _, a in alerts]
    assert len(per_track) == len(set(per_track))  # one alert per track
    point = operating_point(load_card("dlib-resnet-v1"), MatchConfig())
    assert {a.operating_point for _, a in alerts} == {point}


def test_no_watchlist_means_no_alert() -> None:
    assert _run_cameras({}, 0.3) == []


def test_metrics_text_and_endpoint() -> None:
    metrics = [
        Metric("x_total", "Things.", "counter", lambda: 3),
        Metric("y", "A level.", "gauge", lambda: 0.25),
    ]
    text = render_metrics(metrics, {"worker": 'w"1'})
    assert '# TYPE x_total counter\nx_total{worker="w\\"1"} 3\n' in text
    assert 'y{worker="w\\"1"} 0.25' in text

    async def main() -> tuple[int, str, int]:
        server = MetricsServer(lambda: text, "127.0.0.1", 0)
        await server.start()
        async with httpx.AsyncClient() as client:
            ok = await client.get(server.url)
            missing = await client.get(server.url.replace("/metrics", "/other"))
        await server.close()
        return ok.status_code, ok.text, missing.status_code

    status, body, missing = asyncio.run(main())
    assert (status, body, missing) == (200, text, 404)


def test_synthetic_people_are_separable() -> None:
    data = synthetic_simulation()
    scores = data.embeddings @ data.embeddings.T
    same = scores[np.ix_(data.rows_of(0), data.rows_of(0))]
    other = scores[np.ix_(data.rows_of(0), data.rows_of(1))]
    assert same.min() > 0.95 > 0.2 > other.max()
