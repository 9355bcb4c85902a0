"""Two-person rules bind people, not accounts: one admin cannot create the second person.

A new account holds no power until an admin other than the one who set it up approves it;
accounts set up by the same admin within the review window count as one person when they
confirm an alert or approve an entry; an install with one admin says it is a trial.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.service.webkit import (
    PASSWORD,
    add_user,
    alert_body,
    api_token,
    login,
    make_app,
    png_bytes,
    seed_entry,
)

from clearsight.audit import AuditAction
from clearsight.store import AuditRecord, Role


def bearer(app: FastAPI, username: str, scopes: set[str]) -> dict[str, str]:
    return {"Authorization": "Bearer " + api_token(app, username, scopes)}


def create(client: TestClient, headers: dict[str, str], username: str, role: str) -> str:
    made = client.post(
        "/api/users",
        json={"username": username, "password": PASSWORD, "role": role},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert (
        made.json()["approved_by"] is None
        and made.json()["set_up_by"] == (made.json()["created_by"])
    )
    return str(made.json()["id"])


def two_admins(app: FastAPI) -> tuple[dict[str, str], dict[str, str]]:
    add_user(app, "adm1", Role.ADMIN)
    add_user(app, "adm2", Role.ADMIN)
    scopes = {"users:manage", "watchlist:approve", "alerts:ingest"}
    return bearer(app, "adm1", scopes), bearer(app, "adm2", scopes)


def test_a_new_account_has_no_power_until_a_second_admin_approves_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        adm1, adm2 = two_admins(app)
        rev = create(client, adm1, "rev", "reviewer")
        reviewer = bearer(app, "rev", {"alerts:review"})
        assert client.get("/api/alerts", headers=reviewer).status_code == 403
        refused = client.post(f"/api/users/{rev}/approve", json={}, headers=adm1)
        assert refused.status_code == 409 and "second admin" in refused.json()["detail"]
        own = client.post(
            f"/api/users/{client.get('/api/users', headers=adm1).json()[0]['id']}/approve",
            json={},
            headers=adm1,
        )
        assert own.status_code == 409  # already approved, or one's own: never self-service
        done = client.post(f"/api/users/{rev}/approve", json={"reason": "ID seen"}, headers=adm2)
        assert done.status_code == 200 and done.json()["approved_by"] == "adm2"
        assert client.get("/api/alerts", headers=reviewer).status_code == 200

        # A pending privacy officer cannot search faces either.
        officer = create(client, adm1, "dpo", "privacy_officer")
        search = {"Authorization": "Bearer " + api_token(app, "dpo", {"privacy:subject_access"})}
        sent = client.post(
            "/api/privacy/requests",
            data={"request_ref": "R-1"},
            files=[("photos", ("me.png", png_bytes(5), "image/png"))],
            headers=search,
        )
        assert sent.status_code == 403
        assert client.post(f"/api/users/{officer}/approve", json={}, headers=adm2).is_success
    with app.state.clearsight.db.read_session() as s:
        row = s.scalars(
            select(AuditRecord).where(
                AuditRecord.action == AuditAction.USER_APPROVED.value, AuditRecord.record_id == rev
            )
        ).one()
    details = json.loads(row.details)
    assert row.actor == "adm2" and row.reason == "ID seen"
    assert details["created_by"] == "adm1" and details["approved_by"] == "adm2"
    assert details["single_admin_trial"] == "no"


def test_one_admins_two_reviewers_cannot_confirm_an_alert_together(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        adm1, adm2 = two_admins(app)
        add_user(app, "enr", Role.ENROLLER)
        entry = seed_entry(app, "enr", "adm2")
        first, second = (
            create(client, adm1, "r1", "reviewer"),
            create(client, adm1, "r2", "reviewer"),
        )
        for user in (first, second):
            assert client.post(f"/api/users/{user}/approve", json={}, headers=adm2).is_success
        alert = client.post("/api/alerts", json=alert_body(entry, "k1"), headers=adm1).json()["id"]
        r1, r2 = bearer(app, "r1", {"alerts:review"}), bearer(app, "r2", {"alerts:review"})
        confirm = {"decision": "confirm", "comment": "same person"}
        assert client.post(f"/api/alerts/{alert}/decisions", json=confirm, headers=r1).is_success
        twin = client.post(f"/api/alerts/{alert}/decisions", json=confirm, headers=r2)
        assert twin.status_code == 409
        assert "adm1 set up both r1's and r2's accounts" in twin.json()["detail"]
        assert client.get(f"/api/alerts/{alert}", headers=r1).json()["status"] == "pending"

        # A reviewer another admin set up is a second person.
        add_user(app, "r3", Role.REVIEWER)
        r3 = bearer(app, "r3", {"alerts:review"})
        done = client.post(f"/api/alerts/{alert}/decisions", json=confirm, headers=r3)
        assert done.status_code == 201 and done.json()["alert_status"] == "confirmed"


def test_an_admin_cannot_approve_the_entry_of_an_enroller_they_created(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        adm1, adm2 = two_admins(app)
        enr = create(client, adm1, "enr", "enroller")
        assert client.post(f"/api/users/{enr}/approve", json={}, headers=adm2).is_success
        made = client.post(
            "/api/watchlist",
            data={
                "name": "S",
                "reason_category": "violence",
                "incident_ref": "I-1",
                "notes": "n",
                "attested_not_minor": "true",
            },
            files=[("photos", ("a.png", png_bytes(3), "image/png"))],
            headers=bearer(app, "enr", {"watchlist:enrol"}),
        )
        assert made.status_code == 201, made.text
        entry = made.json()["id"]
        refused = client.post(f"/api/watchlist/{entry}/approve", json={}, headers=adm1)
        assert refused.status_code == 409 and "adm1 set up enr's account" in refused.text
        ok = client.post(f"/api/watchlist/{entry}/approve", json={}, headers=adm2)
        assert ok.status_code == 200 and ok.json()["status"] == "approved"


def test_a_single_admin_install_is_a_trial_and_says_so(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        add_user(app, "adm1", Role.ADMIN)
        client.headers["X-CSRF-Token"] = login(client, "adm1")
        assert "Single-admin trial" in client.get("/").text
        rev = create(client, {}, "rev", "reviewer")
        done = client.post(f"/api/users/{rev}/approve", json={})
        assert done.status_code == 200  # the one admin may, in a trial, and it is recorded
        with TestClient(app) as pending:
            login(pending, "rev")
            assert "waits for a second admin" not in pending.get("/").text
        add_user(app, "adm2", Role.ADMIN)
        assert "Single-admin trial" not in client.get("/").text
        with TestClient(app) as newcomer:
            other = create(client, {}, "rev2", "reviewer")
            login(newcomer, "rev2")
            assert "waits for a second admin" in newcomer.get("/").text
            assert newcomer.get("/review").status_code == 403
            assert client.post(f"/api/users/{other}/approve", json={}).status_code == 409
    with app.state.clearsight.db.read_session() as s:
        approvals = s.scalars(
            select(AuditRecord).where(AuditRecord.action == AuditAction.USER_APPROVED.value)
        ).all()
    assert [json.loads(a.details)["single_admin_trial"] for a in approvals] == ["yes"]
    assert "single-admin trial" in approvals[0].reason


def test_the_assessment_states_a_single_admin_trial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from clearsight.cli import main
    from clearsight.store import Database, accounts

    data = tmp_path / "data"
    db = Database.for_data_dir(data)
    db.migrate()
    with db.session() as s:
        accounts.create_user(s, "adm1", PASSWORD, Role.ADMIN, "adm1", approved_by="set-up link")

    def drafted(out: Path) -> str:
        argv = ["assessment", "--data-dir", str(data), "--out-dir", str(out)]
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code in (0, None), capsys.readouterr()
        return (out / "assessment.html").read_text(encoding="utf-8")

    assert "Single-admin trial: this install has 1 approved administrator" in drafted(
        tmp_path / "one"
    )
    with db.session() as s:
        accounts.create_user(s, "adm2", PASSWORD, Role.ADMIN, "adm1", approved_by="adm1")
    db.dispose()
    two = drafted(tmp_path / "two")
    assert "Single-admin trial" not in two and "2 approved administrators" in two
