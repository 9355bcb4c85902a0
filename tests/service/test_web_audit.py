"""Every view of a face image is audited; the auditor's viewer filters and exports CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from tests.service.webkit import (
    add_user,
    alert_body,
    api_token,
    login,
    make_app,
    seed_entry,
)

from clearsight.store import Role


def test_face_views_are_audited_and_auditor_filters_and_exports(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as reviewer, TestClient(app) as auditor, TestClient(app) as worker:
        for name, role in (
            ("enr", Role.ENROLLER),
            ("adm", Role.ADMIN),
            ("rev", Role.REVIEWER),
            ("aud", Role.AUDITOR),
        ):
            add_user(app, name, role)
        entry_id = seed_entry(app, "enr", "adm")
        worker.headers["Authorization"] = "Bearer " + api_token(app, "adm", {"alerts:ingest"})
        alert_id = worker.post("/api/alerts", json=alert_body(entry_id, "k1")).json()["id"]
        login(reviewer, "rev")
        page = reviewer.get(f"/review/{alert_id}")
        photo_ids = [chunk.split('"')[0] for chunk in page.text.split("/images/reference/")[1:]]
        assert len(photo_ids) == 1
        assert reviewer.get(f"/images/alerts/{alert_id}/0").status_code == 200
        assert reviewer.get(f"/images/alerts/{alert_id}/1").status_code == 200
        assert reviewer.get(f"/images/reference/{photo_ids[0]}?reason=review").status_code == 200
        assert reviewer.get(f"/images/alerts/{alert_id}/7").status_code == 404

        login(auditor, "aud")
        views = auditor.get(
            "/api/audit", params={"actor": "rev", "action": "face_image.viewed"}
        ).json()
        assert len(views) == 3
        assert {v["record_type"] for v in views} == {"alert_crop", "reference_photo"}
        assert all(v["actor"] == "rev" for v in views)
        assert {v["details"].get("alert") for v in views if v["record_type"] == "alert_crop"} == {
            alert_id
        }
        opened = auditor.get("/api/audit", params={"record_id": alert_id}).json()
        assert {"alert.created", "alert.viewed"} <= {e["action"] for e in opened}
        html = auditor.get("/audit", params={"actor": "rev"}).text
        assert "audit chain intact" in html and "face_image.viewed" in html
        filtered = auditor.get("/audit", params={"action": "alert.viewed"}).text
        assert "<td>auth.login</td>" not in filtered and "<td>alert.viewed</td>" in filtered
        exported = auditor.get("/audit/export.csv", params={"actor": "rev"})
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert rows and all(r["actor"] == "rev" for r in rows)
        assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
        verify = auditor.get("/api/audit/verify").json()
        assert verify["ok"] and verify["entries"] > 10
        assert auditor.get("/api/audit", params={"since": "2026-01-01T00:00:00"}).status_code == 422


def test_face_data_is_encrypted_at_rest_when_a_key_is_configured(tmp_path: Path) -> None:
    from sqlalchemy import select

    from clearsight.crypto import MAGIC, KeyRing, new_key, write_key_file
    from clearsight.store import AlertCrop, ReferencePhoto

    key_file = tmp_path / "key"
    write_key_file(key_file, KeyRing((new_key(),)))
    app = make_app(tmp_path / "data", key_file=key_file)
    with TestClient(app) as reviewer, TestClient(app) as worker:
        for name, role in (("enr", Role.ENROLLER), ("adm", Role.ADMIN), ("rev", Role.REVIEWER)):
            add_user(app, name, role)
        entry_id = seed_entry(app, "enr", "adm")
        worker.headers["Authorization"] = "Bearer " + api_token(app, "adm", {"alerts:ingest"})
        alert_id = worker.post("/api/alerts", json=alert_body(entry_id, "k1")).json()["id"]
        with app.state.clearsight.db.session() as s:
            photo = s.scalars(select(ReferencePhoto)).one()
            blobs = [photo.image, photo.template, *s.scalars(select(AlertCrop.image)).all()]
        assert all(blob.startswith(MAGIC) for blob in blobs)
        assert not any(b"PNG" in blob[:64] for blob in blobs)
        login(reviewer, "rev")
        image = reviewer.get(f"/images/alerts/{alert_id}/0")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
