"""Sites in the service: alerts carry their site; a reviewer limited to sites sees and
decides only those sites' alerts (queue, alert page, evidence, API); admins set the sites."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from tests.points import CLUSTER_FIELDS
from tests.service.webkit import (
    add_user,
    api_token,
    csrf_of,
    login,
    make_app,
    png_bytes,
    seed_entry,
)

from clearsight.audit import AuditAction
from clearsight.cluster import ClusterAlert
from clearsight.service.cluster_link import ServiceAlertSink
from clearsight.service.usecases import maintain
from clearsight.store import AlertRecord, AuditRecord, Role, User


def _cluster_alert(subject_id: str, site: str) -> ClusterAlert:
    pixels = np.asarray(Image.open(io.BytesIO(png_bytes(4))).convert("RGB"))
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG")
    now = datetime.now(UTC)
    return ClusterAlert(
        alert_id=secrets.token_hex(8),
        site=site,
        camera_id=f"{site}-cam",
        worker_id="w",
        subject_id=subject_id,
        subject_name="x",
        track_id=1,
        score=0.9,
        estimated_fmr=1e-4,
        samples_used=3,
        agreeing_samples=3,
        capture_time=now,
        decided_at=now,
        model_id="fake-model",
        **CLUSTER_FIELDS,
        crop_jpeg=out.getvalue(),
    )


def _store(app: FastAPI, alert: ClusterAlert) -> str:
    ctx = app.state.clearsight
    assert ServiceAlertSink(ctx.db, ctx.cipher, ctx.now).store_alert(alert)
    with ctx.db.read_session() as s:
        return str(
            s.scalars(
                select(AlertRecord.id).where(AlertRecord.idempotency_key == alert.alert_id)
            ).one()
        )


def test_reviewer_limited_to_a_site_sees_and_decides_only_its_alerts(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as admin, TestClient(app) as north, TestClient(app) as everyone:
        add_user(app, "enr", Role.ENROLLER)
        admin_id = add_user(app, "adm", Role.ADMIN)
        north_id = add_user(app, "revn", Role.REVIEWER)
        all_id = add_user(app, "reva", Role.REVIEWER)
        subject = seed_entry(app, "enr", "adm")
        north_alert = _store(app, _cluster_alert(subject, "north"))
        south_alert = _store(app, _cluster_alert(subject, "south"))

        csrf = login(admin, "adm")
        done = admin.post(
            f"/users/{north_id}/sites",
            data={"sites": "north", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert 'value="north"' in admin.get("/users").text
        bad = admin.post(f"/users/{north_id}/sites", data={"sites": "no/slash", "csrf_token": csrf})
        assert bad.status_code == 400 and "no/slash" in bad.text
        admin.headers["Authorization"] = "Bearer " + api_token(app, "adm", {"users:manage"})
        listed = {u["username"]: u["sites"] for u in admin.get("/api/users").json()}
        assert listed["revn"] == ["north"] and listed["reva"] == []

        # The API, with a token of the limited reviewer. A site change waits for a second
        # admin's approval: until then the account holds no power.
        north.headers["Authorization"] = "Bearer " + api_token(app, "revn", {"alerts:review"})
        assert north.get("/api/alerts").status_code == 403
        add_user(app, "adm2", Role.ADMIN)
        second = {"Authorization": "Bearer " + api_token(app, "adm2", {"users:manage"})}
        approved = admin.post(f"/api/users/{north_id}/approve", json={}, headers=second)
        assert approved.status_code == 200 and approved.json()["approved_by"] == "adm2"
        seen = north.get("/api/alerts").json()
        assert [a["id"] for a in seen] == [north_alert] and seen[0]["site"] == "north"
        assert north.get(f"/api/alerts/{south_alert}").status_code == 404
        assert north.get(f"/api/alerts/{north_alert}").status_code == 200
        refused = north.post(
            f"/api/alerts/{south_alert}/decisions",
            json={"decision": "confirm", "comment": "it is them"},
        )
        assert refused.status_code == 404
        ok = north.post(
            f"/api/alerts/{north_alert}/decisions",
            json={"decision": "confirm", "comment": "it is them"},
        )
        assert ok.status_code == 201, ok.text

        # The pages, signed in as the same reviewer.
        del north.headers["Authorization"]
        login(north, "revn")
        queue = north.get("/review").text
        assert south_alert not in queue
        assert north.get(f"/review/{south_alert}").status_code == 404
        assert north.get(f"/images/alerts/{south_alert}/0").status_code == 404
        assert north.get(f"/review/{north_alert}").status_code == 200
        page_csrf = csrf_of(north.get(f"/review/{north_alert}").text)
        decide = north.post(
            f"/review/{south_alert}/decide",
            data={"decision": "reject", "comment": "no", "csrf_token": page_csrf},
        )
        assert decide.status_code == 404

        # A reviewer of every site sees both; an admin widens the first one to every site.
        login(everyone, "reva")
        assert south_alert in everyone.get("/review").text
        everyone.headers["Authorization"] = "Bearer " + api_token(app, "reva", {"alerts:review"})
        assert {a["id"] for a in everyone.get("/api/alerts").json()} == {north_alert, south_alert}
        widened = admin.put(f"/api/users/{north_id}/sites", json={"sites": []})
        assert widened.status_code == 200 and widened.json()["sites"] == []
        assert north.get(f"/review/{south_alert}").status_code == 403  # waits for approval
        assert admin.post(f"/api/users/{north_id}/approve", json={}, headers=second).is_success
        assert north.get(f"/review/{south_alert}").status_code == 200

    ctx = app.state.clearsight
    with ctx.db.read_session() as s:
        changes = s.scalars(
            select(AuditRecord).where(AuditRecord.action == AuditAction.USER_SITES_SET.value)
        ).all()
        assert [(c.actor, c.record_id) for c in changes] == [("adm", north_id), ("adm", north_id)]
        assert s.get(User, admin_id) is not None and s.get(User, all_id) is not None


def test_approval_through_the_service_asks_for_watchlist_publishing(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as enroller, TestClient(app) as approver:
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "adm", Role.ADMIN)
        calls: list[int] = []
        app.state.clearsight.on_watchlist_change = lambda: calls.append(1)
        csrf = login(enroller, "enr")
        made = enroller.post(
            "/watchlist",
            data={
                "name": "S",
                "reason_category": "violence",
                "incident_ref": "I",
                "notes": "n",
                "attested_not_minor": "on",
                "csrf_token": csrf,
            },
            files=[("photos", ("a.png", png_bytes(3), "image/png"))],
            follow_redirects=False,
        )
        entry_id = made.headers["location"].rsplit("/", 1)[1]
        assert calls == []
        ok = approver.post(
            f"/watchlist/{entry_id}/approve",
            data={"reason": "ok", "csrf_token": login(approver, "adm")},
            follow_redirects=False,
        )
        assert ok.status_code == 303 and calls == [1]
        maintain(app.state.clearsight)  # expiry runs here, so workers' lists are refreshed
        assert calls == [1, 1]


def test_watchlist_entry_site_scope_through_the_api(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        add_user(app, "enr", Role.ENROLLER)
        client.headers["Authorization"] = "Bearer " + api_token(app, "enr", {"watchlist:enrol"})
        form = {
            "name": "S",
            "reason_category": "violence",
            "incident_ref": "I",
            "notes": "n",
            "attested_not_minor": "true",
        }
        photo = [("photos", ("a.png", png_bytes(3), "image/png"))]
        made = client.post("/api/watchlist", data={**form, "site": "north"}, files=photo)
        assert made.status_code == 201, made.text
        assert made.json()["site"] == "north"
        everywhere = client.post("/api/watchlist", data=form, files=photo)
        assert everywhere.status_code == 201 and everywhere.json()["site"] == ""
        bad = client.post("/api/watchlist", data={**form, "site": "a b"}, files=photo)
        assert bad.status_code == 400 and "a b" in bad.json()["detail"]
