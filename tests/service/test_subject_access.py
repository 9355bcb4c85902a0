"""Subject access and erasure with real enrolment: the astronaut (skimage) asks; Grace Hopper
(matplotlib's sample) is someone else on the same watchlist. The privacy officer finds the
astronaut's entry and alerts, exports them with other faces hidden, and erases them."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from tests.points import ESTIMATE, POINT
from tests.service.webkit import add_user, api_token, csrf_of, login

from clearsight.crypto import KeyRing, new_key, write_key_file
from clearsight.service import DeploymentConfig, ServiceSettings
from clearsight.store import AlertRecord, AuditRecord, ReferencePhoto, Role, alerts, audit_log
from clearsight.types import Alert
from clearsight.web import create_app

pytestmark = pytest.mark.slow


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _faces() -> tuple[np.ndarray, np.ndarray]:
    skimage_data = pytest.importorskip("skimage.data")
    cbook = pytest.importorskip("matplotlib.cbook")
    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as image:
        hopper = np.asarray(image.convert("RGB"))
    return skimage_data.astronaut(), hopper


def _resize(image: np.ndarray, height: int) -> np.ndarray:
    width = round(image.shape[1] * height / image.shape[0])
    return np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))


def _enrol(client: TestClient, headers: dict[str, str], name: str, image: np.ndarray) -> str:
    form = {
        "name": name,
        "reason_category": "threats",
        "incident_ref": f"INC-{name}",
        "notes": "n",
        "attested_not_minor": "true",
    }
    made = client.post(
        "/api/watchlist",
        headers=headers,
        data=form,
        files=[("photos", (f"{name}.png", png(image), "image/png"))],
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _alert(app: FastAPI, key: str, subject: str, crop: np.ndarray) -> str:
    ctx = app.state.clearsight
    now = datetime.now(UTC)
    alert = Alert(key, subject, "", 1, 0.9, ESTIMATE, now, "cam-1", crop, 2, 2, POINT)
    with ctx.db.session() as s:
        return str(alerts.ingest_alert(s, ctx.cipher, alert, now).alert.id)


def _face_crop(image: np.ndarray, height: int) -> np.ndarray:
    """The largest face with 40% margin, as the pipeline crops alert evidence."""
    boxes = _detected_boxes(image)
    x1, y1, x2, y2 = max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    pad = 0.4 * (x2 - x1)
    top, left = int(max(0, y1 - pad)), int(max(0, x1 - pad))
    crop = image[top : int(y2 + pad), left : int(x2 + pad)]
    return _resize(np.ascontiguousarray(crop), height)


def _detected_boxes(image: np.ndarray) -> np.ndarray:
    from clearsight.config import HogDetectorConfig
    from clearsight.detect import create_detector

    return create_detector(HogDetectorConfig()).detect(image).boxes


def test_subject_access_finds_exports_and_erases_only_the_requester(tmp_path: Path) -> None:
    astronaut, hopper = _faces()
    key_file = tmp_path / "keys"
    write_key_file(key_file, KeyRing((new_key(),)))
    settings = ServiceSettings(
        data_dir=tmp_path / "data", maintenance_interval_s=0, key_file=key_file
    )
    app = create_app(DeploymentConfig(service=settings))
    with TestClient(app) as client:
        for name, role in (
            ("enr", Role.ENROLLER),
            ("adm", Role.ADMIN),
            ("po", Role.PRIVACY_OFFICER),
        ):
            add_user(app, name, role)
        enroller = {"Authorization": "Bearer " + api_token(app, "enr", {"watchlist:enrol"})}
        admin = {"Authorization": "Bearer " + api_token(app, "adm", {"watchlist:approve"})}
        officer = {"Authorization": "Bearer " + api_token(app, "po", {"privacy:subject_access"})}
        entry_a = _enrol(client, enroller, "Astronaut", astronaut)
        entry_h = _enrol(client, enroller, "Hopper", hopper)
        for entry in (entry_a, entry_h):
            approved = client.post(
                f"/api/watchlist/{entry}/approve", headers=admin, json={"reason": "ok"}
            )
            assert approved.status_code == 200, approved.text
        small_a, small_h = _face_crop(astronaut, 200), _face_crop(hopper, 200)
        a1 = _alert(app, "a1", entry_a, small_a)
        a2 = _alert(app, "a2", entry_h, small_h)
        a3 = _alert(app, "a3", entry_h, small_a)  # a false match: the astronaut on H's entry
        both = np.concatenate([small_a, small_h], axis=1)
        a4 = _alert(app, "a4", entry_a, both)  # the astronaut with a bystander

        probe = np.ascontiguousarray(np.fliplr(astronaut)[16:500, 8:504])  # not the same bytes
        searched = client.post(
            "/api/privacy/requests",
            headers=officer,
            data={"request_ref": "SAR-7"},
            files=[("photos", ("requester.jpg", png(probe), "image/png"))],
        )
        assert searched.status_code == 201, searched.text
        case = searched.json()
        found = {(m["kind"], m["record_id"]) for m in case["matches"]}
        assert found == {
            ("watchlist_entry", entry_a),
            ("alert", a1),
            ("alert", a3),
            ("alert", a4),
        }, case
        by_face = {m["record_id"]: m for m in case["matches"]}
        assert by_face[a3]["score"] is not None  # found by its face, not by its entry
        assert by_face[entry_a]["score"] >= case["threshold"] > 0.3  # SFace: 0.42 at FMR 1e-4

        package = client.get(f"/api/privacy/requests/{case['request_id']}/package", headers=officer)
        assert package.status_code == 200, package.text
        assert package.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(package.content))
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["request_id"] == "SAR-7"
        ids = {r["record_id"] for r in manifest["records"]}
        assert ids == {entry_a, a1, a3, a4}
        assert "Hopper" not in archive.read("manifest.json").decode()
        a4_record = next(r for r in manifest["records"] if r["record_id"] == a4)
        assert a4_record["other_faces_hidden"] == 1
        exported = np.asarray(Image.open(io.BytesIO(archive.read(a4_record["image"]))))
        boxes = _detected_boxes(exported)
        assert len(boxes) == 1, boxes  # the bystander can no longer be found
        assert boxes[0][2] <= small_a.shape[1] + 5  # and the face left is the astronaut's

        erased = client.post(
            f"/api/privacy/requests/{case['request_id']}/erase",
            headers=officer,
            json={"reason": "erasure requested under SAR-7"},
        )
        assert erased.status_code == 200, erased.text
        assert erased.json()["entries"] == [entry_a]
        assert set(erased.json()["alerts"]) == {a1, a3, a4}
        ctx = app.state.clearsight
        with ctx.db.session() as s:
            left_alerts = set(s.scalars(select(AlertRecord.id)))
            left_photos = set(s.scalars(select(ReferencePhoto.entry_id)))
            assert audit_log.verify(s).ok
            rows = s.scalars(select(AuditRecord).where(AuditRecord.actor == "po")).all()
        assert left_alerts == {a2} and left_photos == {entry_h}
        actions = [r.action for r in rows if r.action.startswith("subject_access.")]
        assert actions[:2] == ["subject_access.searched", "subject_access.exported"]
        erasures = {r.record_id: r for r in rows if r.action == "subject_access.erased"}
        assert set(erasures) == {entry_a, a1, a3, a4, case["request_id"]}
        for row in rows:
            assert "Astronaut" not in row.details and len(row.details) < 600

        again = client.post(
            f"/api/privacy/requests/{case['request_id']}/erase",
            headers=officer,
            json={"reason": "twice"},
        )
        assert again.status_code == 404  # the case closed with the erasure

        # The page flow, as a signed-in privacy officer: nothing of the astronaut is left.
        page = TestClient(app)
        token = login(page, "po")
        form = page.get("/privacy/requests")
        assert form.status_code == 200 and csrf_of(form.text) == token
        result = page.post(
            "/privacy/requests",
            data={"request_ref": "SAR-8", "csrf_token": token},
            files=[("photos", ("requester.png", png(probe), "image/png"))],
        )
        assert result.status_code == 200, result.text
        assert "No stored record matches the requester" in result.text
