"""Fixtures for the cluster tests: keys, a fresh namespace per test and simulation data. The
local NATS and PostgreSQL fixtures (skipped when absent) are in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearsight.cluster import SimulationData
from clearsight.crypto import BlobCipher, KeyRing, new_key


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing((new_key(),))


@pytest.fixture
def cipher(ring: KeyRing) -> BlobCipher:
    return BlobCipher(ring)


@pytest.fixture
def namespace(cluster_namespace: str) -> str:
    """A fresh namespace on the local NATS (tests/conftest.py), deleted afterwards."""
    return cluster_namespace


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
