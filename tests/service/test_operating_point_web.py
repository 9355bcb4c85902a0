"""The operating point an alert was decided under, on the alert page, in its JSON and in the
store; the settings page's warning for the pooled rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from tests.points import API_FIELDS, ESTIMATE, POINT
from tests.service.webkit import add_user, api_token, b64png, login, make_app, png_bytes

from clearsight.cluster import CameraSpec, ClusterAlert
from clearsight.cluster._runner import to_cluster_alert
from clearsight.config import MatchConfig
from clearsight.match import groups_above_target, load_card, operating_point
from clearsight.service.cluster_link import to_service_alert
from clearsight.store import AlertRecord, Role
from clearsight.types import Alert


def _entry(app, client: TestClient) -> str:  # type: ignore[no-untyped-def]
    add_user(app, "enr", Role.ENROLLER)
    add_user(app, "adm", Role.ADMIN)
    csrf = login(client, "enr")
    made = client.post(
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
    entry_id = made.headers["location"].rsplit("/", 1)[1]
    with TestClient(app) as approver:
        csrf_a = login(approver, "adm")
        approver.post(
            f"/watchlist/{entry_id}/approve",
            data={"reason": "reviewed", "csrf_token": csrf_a},
            follow_redirects=False,
        )
    return entry_id


def test_alert_page_and_json_show_the_point_and_the_worst_groups_estimate(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as enroller, TestClient(app) as worker, TestClient(app) as reviewer:
        entry_id = _entry(app, enroller)
        worker.headers["Authorization"] = "Bearer " + api_token(app, "adm", {"alerts:ingest"})
        body = {
            "idempotency_key": "cam1-track9",
            "subject_id": entry_id,
            "source": "cam1",
            "track_id": 9,
            "score": 0.93,
            "estimated_fmr": ESTIMATE.fmr,
            **API_FIELDS,
            "capture_time": "2026-06-01T12:00:00Z",
            "samples_used": 6,
            "agreeing_samples": 5,
            "crops_png_base64": [b64png(5)],
        }
        created = worker.post("/api/alerts", json=body)
        assert created.status_code == 200, created.text
        add_user(app, "rev1", Role.REVIEWER)
        login(reviewer, "rev1")
        alert = reviewer.get(f"/api/alerts/{created.json()['id']}").json()
        assert alert["operating_point"] == {
            "model_id": POINT.model_id,
            "card_version": POINT.card_version,
            "target_fmr": POINT.target_fmr,
            "rule": POINT.rule,
            "threshold": POINT.threshold,
        }
        assert alert["estimated_fmr_group"] == ESTIMATE.group
        assert (alert["estimated_fmr_low"], alert["estimated_fmr_high"]) == (
            ESTIMATE.low,
            ESTIMATE.high,
        )
        assert alert["pooled_fmr"] == ESTIMATE.pooled_fmr
        assert "about 1 in 10,000 comparisons with a stranger" in alert["estimated_fmr_meaning"]
        ctx = app.state.clearsight
        with ctx.db.read_session() as s:
            stored = s.get(AlertRecord, alert["id"])
            assert stored is not None
            assert (stored.threshold, stored.threshold_rule, stored.target_fmr) == (
                0.9,
                "every-group",
                1e-4,
            )
            assert (stored.model_id, stored.card_version) == ("dlib-resnet-v1", "test")
        page = reviewer.get(f"/review/{alert['id']}").text
        assert "threshold 0.9000, rule every-group" in page
        assert "model dlib-resnet-v1 card vtest" in page
        assert "of the group the model confuses most (female/asian (test))" in page
        assert "1 in 10,000" in page and "pooled over everyone" in page.lower()
        # An alert without its operating point is refused, not stored half-recorded.
        bare = {k: v for k, v in body.items() if k != "operating_point"}
        bare["idempotency_key"] = "cam1-track10"
        assert worker.post("/api/alerts", json=bare).status_code == 422


def test_settings_page_warns_which_groups_the_pooled_rule_leaves_above_target(
    tmp_path: Path,
) -> None:
    card = load_card("dlib-resnet-v1")
    pooled = operating_point(card, MatchConfig(rule="pooled"))
    above = groups_above_target(card, pooled)
    assert above  # the shipped card's groups show the pooled threshold is not fair
    for rule, warned in (("pooled", True), ("every-group", False)):
        app = make_app(
            tmp_path / rule, match_model_id="dlib-resnet-v1", match_rule=rule, match_target_fmr=1e-4
        )
        with TestClient(app) as admin:
            add_user(app, "adm", Role.ADMIN)
            login(admin, "adm")
            page = admin.get("/settings")
            assert page.status_code == 200
            point = operating_point(card, MatchConfig(rule=rule))
            assert f"{point.threshold:.4f}" in page.text
            assert ('id="pooled-warning"' in page.text) is warned
            if warned:
                assert above[0].name in page.text and "times the target" in page.text
        with TestClient(app) as reviewer:
            add_user(app, "rev", Role.REVIEWER)
            login(reviewer, "rev")
            assert reviewer.get("/settings").status_code == 403


def test_cluster_alerts_carry_the_point_over_the_wire() -> None:
    crop = np.full((40, 30, 3), 128, np.uint8)
    alert = Alert(
        "a1",
        "s1",
        "Ada",
        3,
        0.95,
        ESTIMATE,
        datetime.now(UTC),
        "cam",
        crop,
        4,
        3,
        POINT,
    )
    wire = to_cluster_alert(
        alert, CameraSpec(camera_id="c1", site="north", source="sim:"), "w1", POINT.model_id
    )
    back = to_service_alert(ClusterAlert.model_validate_json(wire.to_json()))
    assert back.estimate == ESTIMATE
    # The groups it was set on stay with the card; everything an alert records crosses.
    assert back.operating_point == replace(POINT, groups=())
