"""Fixtures for the cluster tests: the local NATS and PostgreSQL servers (skipped when
absent), a fresh namespace per test (deleted afterwards) and simulation data."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from clearsight.cluster import ClusterNames, SimulationData
from clearsight.crypto import BlobCipher, KeyRing, new_key

NATS_URL = os.environ.get("CLEARSIGHT_TEST_NATS", "nats://127.0.0.1:4222")
PG_DSN = os.environ.get("CLEARSIGHT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def nats_url() -> str:
    if not _reachable(NATS_URL, 4222):
        pytest.skip(f"no NATS server at {NATS_URL} (set CLEARSIGHT_TEST_NATS)")
    return NATS_URL


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    if not _reachable(PG_DSN, 5432):
        pytest.skip(f"no PostgreSQL at {PG_DSN} (set CLEARSIGHT_TEST_PG_DSN)")
    return PG_DSN


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing((new_key(),))


@pytest.fixture
def cipher(ring: KeyRing) -> BlobCipher:
    return BlobCipher(ring)


async def _delete_namespace(url: str, namespace: str) -> None:
    import nats
    from nats.js.errors import NotFoundError

    names = ClusterNames(namespace)
    nc = await nats.connect(url)
    js = nc.jetstream()
    for bucket in (
        names.cameras_bucket,
        names.leases_bucket,
        names.workers_bucket,
        names.watchlists_bucket,
    ):
        with contextlib.suppress(NotFoundError):
            await js.delete_key_value(bucket)
    with contextlib.suppress(NotFoundError):
        await js.delete_stream(names.alert_stream)
    await nc.close()


@pytest.fixture
def namespace(nats_url: str) -> Iterator[str]:
    name = f"t{secrets.token_hex(4)}"
    yield name
    asyncio.run(_delete_namespace(nats_url, name))


def synthetic_simulation(
    people: int = 2, rows_per_person: int = 6, seed: int = 7
) -> SimulationData:
    """Templates of ``people`` well-separated synthetic faces, each with close variants.

    Variants score about 0.99 against their person's first row and near 0 against the
    others: matching decisions are unambiguous, so alert counts follow the simulation.
    """
    rng = np.random.default_rng(seed)
    bases = np.linalg.qr(rng.normal(size=(128, people)))[0].T
    rows, owners = [], []
    for person, base in enumerate(bases):
        for _ in range(rows_per_person):
            vector = base + rng.normal(scale=0.01, size=128)
            rows.append(vector / np.linalg.norm(vector))
            owners.append(person)
    return SimulationData(
        model_id="dlib-resnet-v1",
        names=tuple(f"Person {i}" for i in range(people)),
        embeddings=np.asarray(rows, np.float32),
        person=np.asarray(owners, np.int64),
        quality=np.ones(len(rows), np.float32),
        crops=tuple(rng.integers(0, 255, size=(40, 32, 3), dtype=np.uint8) for _ in range(people)),
    )


@pytest.fixture
def sim_file(tmp_path: Path) -> Path:
    path = tmp_path / "simulation.npz"
    synthetic_simulation().save(path)
    return path
