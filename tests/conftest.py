"""Shared fixtures: where the real datasets are (tests skip without them), the demo clip, and
the local NATS server with a fresh cluster namespace per test (deleted afterwards)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest


def _datasets_dir() -> Path:
    configured = os.environ.get("CLEARSIGHT_DATASETS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    return _datasets_dir()


@pytest.fixture(scope="session")
def clips_dir(datasets_dir: Path) -> Path:
    path = datasets_dir / "clips"
    if not (path / "short_hamilton_clip.mp4").is_file():
        pytest.skip(
            f"real clips not found at {path} (set CLEARSIGHT_DATASETS to ../shared/datasets)"
        )
    return path


@pytest.fixture(scope="session")
def demo_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from clearsight.demo import build_demo_clip

    return build_demo_clip(tmp_path_factory.mktemp("demo") / "demo.mp4")


NATS_URL = os.environ.get("CLEARSIGHT_TEST_NATS", "nats://127.0.0.1:4222")


def reachable(url: str, default_port: int) -> bool:
    """Does a server answer at ``url``'s host and port (within a second)?"""
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


PG_DSN = os.environ.get("CLEARSIGHT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The local PostgreSQL (trust auth, database ``test``); skipped, saying so, without it."""
    if not reachable(PG_DSN, 5432):
        pytest.skip(f"no PostgreSQL at {PG_DSN} (set CLEARSIGHT_TEST_PG_DSN)")
    return PG_DSN


@pytest.fixture(scope="session")
def nats_url() -> str:
    """The local NATS server with JetStream; the test is skipped, saying so, without it."""
    if not reachable(NATS_URL, 4222):
        pytest.skip(f"no NATS server at {NATS_URL} (set CLEARSIGHT_TEST_NATS)")
    return NATS_URL


async def _delete_cluster_namespace(url: str, namespace: str) -> None:
    import nats
    from nats.js.errors import NotFoundError

    from clearsight.cluster import ClusterNames

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
def cluster_namespace(nats_url: str) -> Iterator[str]:
    """A fresh cluster namespace on the local NATS; its buckets and stream go afterwards."""
    name = f"t{secrets.token_hex(4)}"
    yield name
    asyncio.run(_delete_cluster_namespace(nats_url, name))
