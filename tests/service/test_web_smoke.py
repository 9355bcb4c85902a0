"""End-to-end through the web app: set-up link, enrolment, approval, alert, two reviewers."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.service.webkit import (
    add_user,
    api_token,
    b64png,
    csrf_of,
    login,
    make_app,
    png_bytes,
)

from clearsight.store import Role, accounts


def test_first_start_setup_link_creates_the_only_admin(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        ctx = app.state.clearsight
        with ctx.db.session() as s:
            secret = accounts.issue_setup_token(
                s, ctx.now(), __import__("datetime").timedelta(hours=1)
            )
        assert secret
        assert client.get("/setup?token=wrong").status_code == 404
        page = client.get(f"/setup?token={secret}")
        assert page.status_code == 200
        form = {
            "token": secret,
            "username": "root",
            "password": "a very long password",
            "csrf_token": csrf_of(page.text),
        }
        done = client.post("/setup", data=form, follow_redirects=False)
        assert done.status_code == 303
        assert "Welcome, root" in client.get("/").text
        again = client.post("/setup", data=form, follow_redirects=False)
        assert again.status_code in (403, 409)


def test_enrol_approve_alert_and_two_reviewer_confirmation(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with (
        TestClient(app) as enroller,
        TestClient(app) as approver,
        TestClient(app) as r1,
        TestClient(app) as r2,
        TestClient(app) as worker,
    ):
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "adm", Role.ADMIN)
        add_user(app, "rev1", Role.REVIEWER)
        add_user(app, "rev2", Role.REVIEWER)
        csrf = login(enroller, "enr")
        made = enroller.post(
            "/watchlist",
            data={
                "name": "Subject A",
                "reason_category": "violence",
                "incident_ref": "INC-7",
                "notes": "assault",
                "attested_not_minor": "on",
                "csrf_token": csrf,
            },
            files=[("photos", ("a.png", png_bytes(3), "image/png"))],
            follow_redirects=False,
        )
        assert made.status_code == 303, made.text
        entry_id = made.headers["location"].rsplit("/", 1)[1]
        page = enroller.get(f"/watchlist/{entry_id}")
        assert "Pending approval" in page.text and "Approve</button>" not in page.text
        csrf_a = login(approver, "adm")
        ok = approver.post(
            f"/watchlist/{entry_id}/approve",
            data={"reason": "reviewed", "csrf_token": csrf_a},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        worker.headers["Authorization"] = "Bearer " + api_token(app, "adm", {"alerts:ingest"})
        body = {
            "idempotency_key": "cam1-track9",
            "subject_id": entry_id,
            "source": "cam1",
            "track_id": 9,
            "score": 0.93,
            "estimated_fmr": 1e-4,
            "capture_time": "2026-06-01T12:00:00Z",
            "samples_used": 6,
            "agreeing_samples": 5,
            "crops_png_base64": [b64png(5), b64png(6)],
        }
        first = worker.post("/api/alerts", json=body)
        assert first.status_code == 200 and first.json()["created"] is True
        second = worker.post("/api/alerts", json=body)
        assert second.json()["id"] == first.json()["id"] and second.json()["created"] is False
        alert_id = first.json()["id"]
        c1 = login(r1, "rev1")
        queue = r1.get("/api/alerts?status=pending").json()
        assert [a["id"] for a in queue] == [alert_id]
        screen = r1.get(f"/review/{alert_id}")
        assert "0.9300" in screen.text and "Violence" in screen.text
        assert r1.get(f"/images/alerts/{alert_id}/1").headers["content-type"] == "image/png"
        d1 = r1.post(
            f"/review/{alert_id}/decide",
            data={"decision": "confirm", "comment": "same", "csrf_token": c1},
            follow_redirects=False,
        )
        assert d1.status_code == 303
        dup = r1.post(
            f"/api/alerts/{alert_id}/decisions",
            json={"decision": "confirm", "comment": "again"},
            headers={"X-CSRF-Token": c1},
        )
        assert dup.status_code == 409
        assert r1.get(f"/api/alerts/{alert_id}").json()["status"] == "pending"
        login(r2, "rev2")
        token = api_token(app, "rev2", {"alerts:review"})
        d2 = worker.post(
            f"/api/alerts/{alert_id}/decisions",
            json={"decision": "confirm", "comment": "agree"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert d2.status_code == 201 and d2.json()["alert_status"] == "confirmed"


def test_session_cookie_flags_escaping_and_openapi(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        add_user(app, "adm", Role.ADMIN)
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": "adm",
                "password": "correct horse battery",
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        cookie = response.headers["set-cookie"]
        assert "cs_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "default-src 'self'" in response.headers["content-security-policy"]
        csrf = csrf_of(client.get("/account/tokens").text)
        client.post(
            "/cameras",
            data={"name": "<script>alert(1)</script>", "source": "rtsp://x", "csrf_token": csrf},
        )
        listing = client.get("/cameras").text
        assert "<script>alert(1)</script>" not in listing and "&lt;script&gt;" in listing
        doc = client.get("/api/openapi.json").json()
        assert "/api/alerts/{alert_id}/decisions" in doc["paths"]
        assert client.get("/docs").status_code == 404  # no Swagger UI (it would use a CDN)


def test_second_reviewer_does_not_see_the_first_decision_before_deciding(tmp_path: Path) -> None:
    from tests.service.webkit import alert_body, seed_entry

    app = make_app(tmp_path)
    with TestClient(app) as r1, TestClient(app) as r2, TestClient(app) as worker:
        for name, role in (
            ("enr", Role.ENROLLER),
            ("adm", Role.ADMIN),
            ("rev1", Role.REVIEWER),
            ("rev2", Role.REVIEWER),
        ):
            add_user(app, name, role)
        entry_id = seed_entry(app, "enr", "adm")
        worker.headers["Authorization"] = "Bearer " + api_token(app, "adm", {"alerts:ingest"})
        alert_id = worker.post("/api/alerts", json=alert_body(entry_id, "k")).json()["id"]
        c1 = login(r1, "rev1")
        r1.post(
            f"/review/{alert_id}/decide",
            data={"decision": "unsure", "comment": "FIRST-OPINION", "csrf_token": c1},
        )
        assert "FIRST-OPINION" in r1.get(f"/review/{alert_id}").text
        c2 = login(r2, "rev2")
        before = r2.get(f"/review/{alert_id}").text
        assert "FIRST-OPINION" not in before and "1 decision(s) recorded" in before
        r2.post(
            f"/review/{alert_id}/decide",
            data={"decision": "reject", "comment": "no", "csrf_token": c2},
        )
        after = r2.get(f"/review/{alert_id}").text
        assert "FIRST-OPINION" in after and ">Rejected<" in after
