"""The web service on PostgreSQL: the full review flow, and concurrent decisions serialised by
the audit-chain lock (no lost update, no broken chain)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.service.conftest import PG_URL, drop_pg_schema, make_pg_database
from tests.service.webkit import add_user, alert_body, api_token, make_app, seed_entry

from clearsight.store import Role

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(tmp_path: Path, pg_reason: str | None) -> Iterator[FastAPI]:
    database, schema = make_pg_database(pg_reason)
    database.dispose()
    app = make_app(tmp_path, database_url=f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield app
    finally:
        app.state.clearsight.db.dispose()
        drop_pg_schema(schema)


def test_review_flow_and_concurrent_decisions_on_postgres(pg_app: FastAPI) -> None:
    app = pg_app
    with TestClient(app) as client:
        assert app.state.clearsight.db.dialect == "postgresql"
        reviewers = [f"r{i}" for i in range(6)]
        for name, role in [("enr", Role.ENROLLER), ("adm", Role.ADMIN)] + [
            (r, Role.REVIEWER) for r in reviewers
        ]:
            add_user(app, name, role)
        entry_id = seed_entry(app, "enr", "adm")
        ingest = {"Authorization": "Bearer " + api_token(app, "adm", {"alerts:ingest"})}
        alert_ids = [
            client.post(
                "/api/alerts", json=alert_body(entry_id, f"k{i}", crops=1), headers=ingest
            ).json()["id"]
            for i in range(3)
        ]
        again = client.post(
            "/api/alerts", json=alert_body(entry_id, "k0", crops=1), headers=ingest
        ).json()
        assert again["id"] == alert_ids[0] and again["created"] is False
        tokens = {
            r: {"Authorization": "Bearer " + api_token(app, r, {"alerts:review"})}
            for r in reviewers
        }
        statuses: list[tuple[str, int, str]] = []
        lock = threading.Lock()

        def decide(reviewer: str) -> None:
            with TestClient(app) as own:
                for alert_id in alert_ids:
                    r = own.post(
                        f"/api/alerts/{alert_id}/decisions",
                        headers=tokens[reviewer],
                        json={"decision": "confirm", "comment": "agree"},
                    )
                    with lock:
                        statuses.append((alert_id, r.status_code, r.text))

        threads = [threading.Thread(target=decide, args=(r,)) for r in reviewers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for alert_id in alert_ids:
            codes = sorted(code for a, code, _ in statuses if a == alert_id)
            # exactly two confirmations are taken; the rest find the alert already confirmed
            assert codes == [201, 201, 409, 409, 409, 409], codes
            alert = client.get(f"/api/alerts/{alert_id}", headers=tokens["r0"]).json()
            assert alert["status"] == "confirmed"
        with app.state.clearsight.db.session() as s:
            from clearsight.store import audit_log

            report = audit_log.verify(s)
        assert report.ok, report.describe()
