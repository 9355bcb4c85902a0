"""Fixtures for the service tests: a migrated database on SQLite and on the local PostgreSQL.

PostgreSQL tests get a fresh schema per test (dropped afterwards), so they never touch other
data on the shared server; they are skipped with the reason when the server is unreachable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from clearsight.cluster import ClusterConfig
from clearsight.store import Database, Role, User, accounts
from clearsight.store._watchlist import EnrolledPhoto
from clearsight.types import Embedding

PG_URL = os.environ.get("CLEARSIGHT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _pg_unreachable_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as error:  # any failure means: skip, and say why
        return f"PostgreSQL at {PG_URL} unreachable: {error}"


@pytest.fixture(scope="session")
def pg_reason() -> str | None:
    return _pg_unreachable_reason()


def make_pg_database(pg_reason: str | None) -> tuple[Database, str]:
    if pg_reason:
        pytest.skip(pg_reason)
    import psycopg

    schema = f"cs_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return Database(PG_URL, schema=schema), schema


def drop_pg_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path, pg_reason: str | None) -> Iterator[Database]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        database = Database.for_data_dir(tmp_path)
        database.migrate()
        yield database
        database.dispose()
        return
    database, schema = make_pg_database(pg_reason)
    try:
        database.migrate()
        yield database
    finally:
        database.dispose()
        drop_pg_schema(schema)


def fake_photo(seed: int, model_id: str = "test-model") -> EnrolledPhoto:
    """A reference photo as enrolment would return it, with a random template (the seam)."""
    rng = np.random.default_rng(seed)
    png = b"\x89PNG fake image bytes " + str(seed).encode()
    return EnrolledPhoto(png, Embedding(rng.normal(size=128).astype(np.float32), model_id))


def make_user(db: Database, username: str, role: Role) -> User:
    with db.session() as session:
        return accounts.create_user(
            session,
            username,
            "correct horse battery",
            role,
            f"setup-{username}",
            approved_by=f"approver-{username}",
        )


@pytest.fixture
def cluster_config(nats_url: str, cluster_namespace: str) -> ClusterConfig:
    """A cluster config in a fresh namespace of the local NATS, deleted afterwards."""
    return ClusterConfig(nats_url=nats_url, namespace=cluster_namespace)
