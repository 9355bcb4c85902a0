"""Hostile values get a 422 (or 401) with a message, never a 5xx, on SQLite and PostgreSQL:
integers past what the databases store, dates that overflow when converted to UTC, lone
surrogates, inconsistent alert data, and sign-ins with over-long user names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.service.conftest import PG_URL, drop_pg_schema, make_pg_database
from tests.service.webkit import (
    add_user,
    alert_body,
    api_token,
    csrf_of,
    login,
    make_app,
    review_team,
)

from clearsight.audit import AuditAction
from clearsight.store import AuditRecord, Role


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Path, pg_reason: str | None) -> Iterator[FastAPI]:
    if request.param == "sqlite":
        yield make_app(tmp_path)
        return
    database, schema = make_pg_database(pg_reason)
    database.dispose()
    made = make_app(tmp_path, database_url=f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield made
    finally:
        made.state.clearsight.db.dispose()
        drop_pg_schema(schema)


TOO_BIG = [2**31, 2**63, 2**64 + 1]
OVERFLOWING_DATES = [
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:30:00-01:00",
    "1899-12-31T23:59:59Z",
    "3000-01-01T00:00:00Z",
]


def test_out_of_range_values_are_422_with_a_message(app: FastAPI) -> None:
    with TestClient(app) as client:
        entry, ingest = review_team(app, ("r1",))
        add_user(app, "aud", Role.AUDITOR)
        reviewer = {"Authorization": "Bearer " + api_token(app, "r1", {"alerts:review"})}
        auditor = {"Authorization": "Bearer " + api_token(app, "aud", {"audit:read"})}
        for field in ("track_id", "samples_used", "agreeing_samples"):
            for value in TOO_BIG:
                body = alert_body(entry, f"{field}-{value}") | {field: value}
                if field == "samples_used":
                    body["agreeing_samples"] = 1
                answer = client.post("/api/alerts", json=body, headers=ingest)
                assert answer.status_code == 422, (field, value, answer.text)
                assert field in answer.json()["detail"]
        for when in OVERFLOWING_DATES:
            answer = client.post(
                "/api/alerts", json=alert_body(entry, when) | {"capture_time": when}, headers=ingest
            )
            assert answer.status_code == 422 and "1900 to 2999" in answer.json()["detail"], when
            for name in ("since", "until"):
                searched = client.get("/api/audit", params={name: when}, headers=auditor)
                assert searched.status_code == 422, (name, when, searched.text)
        inconsistent = alert_body(entry, "odd") | {"samples_used": 1, "agreeing_samples": 99_999}
        answer = client.post("/api/alerts", json=inconsistent, headers=ingest)
        assert answer.status_code == 422 and "cannot exceed samples_used" in answer.text

        alert = client.post("/api/alerts", json=alert_body(entry, "ok"), headers=ingest).json()
        with TestClient(app) as page:
            login(page, "r1")
            for position in TOO_BIG:
                crop = page.get(f"/images/alerts/{alert['id']}/{position}")
                assert crop.status_code == 422, position
        with TestClient(app) as page:
            login(page, "aud")
            for when in OVERFLOWING_DATES[:2]:
                # The audit page's form reports its own problems (400, the form kept).
                shown = page.get("/audit", params={"since": when})
                assert shown.status_code == 400 and "1900 to 2999" in shown.text, when
                exported = page.get("/audit/export.csv", params={"until": when})
                assert exported.status_code == 400 and "1900 to 2999" in exported.text, when
        assert client.get(f"/api/alerts/{alert['id']}", headers=reviewer).status_code == 200


def test_lone_surrogates_are_refused_not_stored(app: FastAPI) -> None:
    with TestClient(app) as client:
        add_user(app, "dpo", Role.PRIVACY_OFFICER)
        officer = {"Authorization": "Bearer " + api_token(app, "dpo", {"privacy:subject_access"})}
        raw = b'{"reason": "asked", "records": ["alert:\\ud800x"]}'
        erased = client.post(
            "/api/privacy/requests/nosuch/erase",
            content=raw,
            headers=officer | {"Content-Type": "application/json"},
        )
        assert erased.status_code == 422 and "surrogate" in erased.json()["detail"]
        entry, ingest = review_team(app, ("r1",))
        body = alert_body(entry, "k").copy()
        text = (
            '{"source": "cam\\udc00", '
            + ", ".join(f'"{k}": {json.dumps(v)}' for k, v in body.items() if k != "source")
            + "}"
        )
        sent = client.post(
            "/api/alerts",
            content=text.encode(),
            headers=ingest | {"Content-Type": "application/json"},
        )
        assert sent.status_code == 422 and "source" in sent.json()["detail"]


def test_sign_in_with_an_over_long_user_name_is_audited_and_limited(app: FastAPI) -> None:
    name = "x" * 80
    with TestClient(app) as client:
        statuses = []
        for _ in range(6):
            page = client.get("/login")
            answer = client.post(
                "/login",
                data={
                    "username": name,
                    "password": "whatever it is",
                    "csrf_token": csrf_of(page.text),
                },
            )
            statuses.append(answer.status_code)
            assert "database" not in answer.text
        assert statuses == [401] * 5 + [429]
    with app.state.clearsight.db.read_session() as s:
        failed = s.scalars(
            select(AuditRecord).where(AuditRecord.action == AuditAction.LOGIN_FAILED.value)
        ).all()
    assert len(failed) == 5 and {f.actor for f in failed} == {"x" * 63}


def test_dates_are_iso_text_not_unix_times(app: FastAPI) -> None:
    with TestClient(app) as client:
        add_user(app, "aud", Role.AUDITOR)
        auditor = {"Authorization": "Bearer " + api_token(app, "aud", {"audit:read"})}
        for value in ("0.5", "1700000000", "-1"):
            answer = client.get("/api/audit", params={"until": value}, headers=auditor)
            assert answer.status_code == 422 and "ISO 8601" in answer.text, value
        fine = client.get("/api/audit", params={"until": "2026-01-01T00:00:00Z"}, headers=auditor)
        assert fine.status_code == 200
