"""Boundaries of the service: what it imports, where it connects, and its background upkeep."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.service.webkit import (
    alert_body,
    api_token,
    fake_enroll,
    review_team,
)

from clearsight.errors import PolicyError
from clearsight.policy import RetentionPolicy
from clearsight.review import (
    AlertStatus,
    CastDecision,
    Decision,
    ReviewPolicy,
    apply_decision,
    status_after,
)
from clearsight.service import DeploymentConfig, Hooks, ServiceSettings
from clearsight.web import create_app


def test_web_imports_no_detector_or_embedder_and_does_no_work_at_import() -> None:
    """The web process loads no model runtime and starts no thread at import. The pipeline
    settings it validates name each model's settings class, which lives in that model's
    plugin module (`clearsight.detect._yunet`), so those modules load; the libraries that
    run a model (OpenCV, ONNX, ONNX Runtime, dlib) and the enrolment recipe must not."""
    code = (
        "import sys, threading; import clearsight.web, clearsight.cli.service_commands; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('cv2', 'onnx', 'onnxruntime', "
        "'dlib') or m.startswith('clearsight.enrollment')]; "
        "print(bad, threading.active_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.strip()
    assert out == "[] 1"


@pytest.mark.parametrize("needed", [1, 2, 3])
def test_confirmation_needs_n_distinct_reviewers(needed: int) -> None:
    policy = ReviewPolicy(required_confirmations=needed)
    cast: list[CastDecision] = []
    status = AlertStatus.PENDING
    for i in range(needed):
        assert status is AlertStatus.PENDING
        new = CastDecision(f"r{i}", Decision.CONFIRM)
        status = apply_decision(status, cast, new, policy)
        cast.append(new)
    assert status is AlertStatus.CONFIRMED
    with pytest.raises(PolicyError, match="already confirmed"):
        apply_decision(status, cast, CastDecision("late", Decision.REJECT), policy)
    same = [CastDecision("r0", Decision.CONFIRM)] * 5
    assert status_after(same, policy) is (
        AlertStatus.CONFIRMED if needed == 1 else AlertStatus.PENDING
    )
    unsure = [CastDecision(f"u{i}", Decision.UNSURE) for i in range(5)]
    assert status_after(unsure, policy) is AlertStatus.PENDING
    assert status_after([*cast[:-1], CastDecision("x", Decision.REJECT)], policy) is (
        AlertStatus.REJECTED
    )


def test_no_outbound_connection_without_configured_notifiers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.service.webkit import make_app

    connects: list[object] = []
    real_connect = socket.socket.connect

    def recording_connect(self: socket.socket, address: object) -> None:
        connects.append(address)
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    app = make_app(tmp_path)
    with TestClient(app) as client:
        entry_id, ingest = review_team(app)
        alert_id = client.post(
            "/api/alerts", json=alert_body(entry_id, "a"), headers=ingest
        ).json()["id"]
        for who in ("r1", "r2"):
            token = {"Authorization": "Bearer " + api_token(app, who, {"alerts:review"})}
            assert client.post(
                f"/api/alerts/{alert_id}/decisions",
                headers=token,
                json={"decision": "confirm", "comment": "ok"},
            ).json()["alert_status"] in ("pending", "confirmed")
        time.sleep(0.3)
    inet = [a for a in connects if isinstance(a, tuple)]
    assert inet == []


def test_background_upkeep_expires_alerts_and_purges_entries(tmp_path: Path) -> None:
    now = [datetime.now(UTC)]
    # An unreviewed alert expires after the retention policy's pending_expiry_hours.
    settings = DeploymentConfig(
        service=ServiceSettings(data_dir=tmp_path, maintenance_interval_s=0.1),
        retention=RetentionPolicy(pending_expiry_hours=1),
    )
    app = create_app(settings, Hooks(enroll=fake_enroll, clock=lambda: now[0]))
    with TestClient(app) as client:
        entry_id, ingest = review_team(app, reviewers=())
        alert_id = client.post(
            "/api/alerts", json=alert_body(entry_id, "a"), headers=ingest
        ).json()["id"]
        from clearsight.store import alerts, approved_gallery, watchlist

        ctx = app.state.clearsight
        now[0] += timedelta(hours=2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with ctx.db.session() as s:
                if alerts.get_alert(s, alert_id).status == "expired":
                    break
            time.sleep(0.1)
        with ctx.db.session() as s:
            assert alerts.get_alert(s, alert_id).status == "expired"
            assert len(approved_gallery(s, now[0])) == 1
        now[0] += timedelta(days=731)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with ctx.db.session() as s:
                if watchlist.get_entry(s, entry_id).status == "expired":
                    break
            time.sleep(0.1)
        with ctx.db.session() as s:
            entry = watchlist.get_entry(s, entry_id)
            assert entry.status == "expired" and entry.photos == []
            assert len(approved_gallery(s, now[0])) == 0
