"""The enrolment seam with the real detector and embedder: a public-domain portrait is
enrolled through the API, approved, and appears in the gallery the camera workers use."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.service.webkit import add_user, api_token

from clearsight.service import DeploymentConfig, ServiceSettings
from clearsight.store import Role, approved_gallery
from clearsight.web import create_app


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.slow
def test_real_portrait_enrols_and_a_faceless_image_is_refused(tmp_path: Path) -> None:
    skimage_data = pytest.importorskip("skimage.data")
    portrait = skimage_data.astronaut()  # public domain, ships with scikit-image
    settings = ServiceSettings(data_dir=tmp_path, maintenance_interval_s=0)
    app = create_app(DeploymentConfig(service=settings))
    with TestClient(app) as client:
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "adm", Role.ADMIN)
        enroller = {"Authorization": "Bearer " + api_token(app, "enr", {"watchlist:enrol"})}
        admin = {"Authorization": "Bearer " + api_token(app, "adm", {"watchlist:approve"})}
        form = {
            "name": "Eileen",
            "reason_category": "threats",
            "incident_ref": "I-1",
            "notes": "n",
            "attested_not_minor": "true",
        }
        sky = np.zeros((200, 300, 3), np.uint8)
        sky[:] = (90, 140, 220)
        refused = client.post(
            "/api/watchlist",
            headers=enroller,
            data=form,
            files=[("photos", ("sky.png", png(sky), "image/png"))],
        )
        assert refused.status_code == 400 and "sky.png: no face found" in refused.text
        made = client.post(
            "/api/watchlist",
            headers=enroller,
            data=form,
            files=[("photos", ("astronaut.png", png(portrait), "image/png"))],
        )
        assert made.status_code == 201, made.text
        entry_id = made.json()["id"]
        assert (
            client.post(
                f"/api/watchlist/{entry_id}/approve", headers=admin, json={"reason": "ok"}
            ).status_code
            == 200
        )
        with app.state.clearsight.db.session() as s:
            gallery = approved_gallery(s, datetime.now(UTC))
        assert gallery.model_id == "sface-2021dec" and gallery.subject_ids == (entry_id,)
        assert gallery.templates.shape == (1, 128)
