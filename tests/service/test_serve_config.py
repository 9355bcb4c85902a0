"""``clearsight serve --config FILE`` applies the file's retention periods in its upkeep, and
``clearsight notice --config FILE`` prints the same periods on the public sign.

The file's periods differ from the defaults (rejected evidence 2 h, not 24 h; unreviewed
alerts expire after 3 h, not 24 h), so a service that fell back to the defaults, or expired
pending alerts under a second setting, fails here. The service runs as a real process on the
local PostgreSQL, whose upkeep loop does the deleting."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.points import ESTIMATE, POINT
from tests.service.conftest import PG_URL, drop_pg_schema, make_pg_database
from tests.service.test_openapi_fuzz import _free_port
from tests.service.webkit import add_user, fake_enroll, seed_entry, serve_process

from clearsight.privacy import build_notice
from clearsight.review import Decision
from clearsight.service import ROLE_PERMISSIONS, Hooks, Principal, load_deployment_config, usecases
from clearsight.store import AlertCrop, Role, accounts, alerts
from clearsight.types import Alert
from clearsight.web import create_app

pytestmark = pytest.mark.postgres


def _config_text(database_url: str) -> str:
    return f"""
[service]
database_url = "{database_url}"
allow_unencrypted = true
cameras = false
maintenance_interval_s = 0.2

[privacy.deployment]
operator = "Kai Market Ltd"
contact = "privacy@kaimarket.example"
assessment_url = "https://kaimarket.example/pia"

[retention]
rejected_evidence_hours = 2
pending_expiry_hours = 3
"""


@pytest.fixture
def config_file(tmp_path: Path, pg_reason: str | None) -> Iterator[Path]:
    database, schema = make_pg_database(pg_reason)
    database.dispose()
    path = tmp_path / "clearsight.toml"
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    path.write_text(_config_text(url), encoding="utf-8")
    try:
        yield path
    finally:
        drop_pg_schema(schema)


def _seed(config_file: Path, now: datetime) -> dict[str, str]:
    """Alerts at the edges of the file's periods, made through the service's own use cases
    (their clock set back): rejected 2.5 h and 1.5 h ago, unreviewed for 4 h and 2 h."""
    clock = [now]
    config = load_deployment_config(config_file)
    app = create_app(config, Hooks(enroll=fake_enroll, clock=lambda: clock[0]))
    made: dict[str, str] = {}
    with TestClient(app):
        ctx = app.state.clearsight
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "adm", Role.ADMIN)
        reviewer_id = add_user(app, "rev", Role.REVIEWER)
        entry = seed_entry(app, "enr", "adm")
        with ctx.db.session() as s:
            user = accounts.get_user(s, reviewer_id)
        reviewer = Principal(
            user.id, user.username, Role.REVIEWER, ROLE_PERMISSIONS[Role.REVIEWER], None
        )
        crop = np.full((20, 20, 3), 3, np.uint8)
        for name, hours_ago, reject in (
            ("rejected_long_ago", 2.5, True),
            ("rejected_lately", 1.5, True),
            ("unreviewed_long", 4.0, False),
            ("unreviewed_lately", 2.0, False),
        ):
            clock[0] = now - timedelta(hours=hours_ago)
            alert = Alert(name, entry, "", 1, 0.9, ESTIMATE, clock[0], "cam", crop, 2, 2, POINT)
            made[name] = usecases.ingest(ctx, alert, (), None).alert.id
            if reject:
                usecases.decide(ctx, reviewer, made[name], Decision.REJECT, "not them")
    return made


def test_serve_upkeep_and_the_sign_use_the_files_retention_periods(
    config_file: Path, tmp_path: Path
) -> None:
    made = _seed(config_file, datetime.now(UTC))
    config = load_deployment_config(config_file)
    db = create_app(config).state.clearsight.db

    def state() -> tuple[set[str], dict[str, str]]:
        with db.read_session() as s:
            with_crops = set(s.scalars(select(AlertCrop.alert_id)))
            statuses = {name: alerts.get_alert(s, i).status for name, i in made.items()}
        return {name for name, i in made.items() if i in with_crops}, statuses

    assert state()[0] == set(made)  # nothing is deleted before the service runs
    server = serve_process(_free_port(), "--config", str(config_file))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "rejected_long_ago" in state()[0]:
            time.sleep(0.2)
        time.sleep(0.5)  # a few more upkeep rounds: nothing else may go
        kept, statuses = state()
    finally:
        server.terminate()
        server.wait(30)
        db.dispose()
    # The upkeep applied the file's periods: 2 h for rejected evidence, 3 h to review.
    assert kept == {"rejected_lately", "unreviewed_lately"}
    assert statuses["unreviewed_long"] == "expired"
    assert statuses["unreviewed_lately"] == "pending"

    # The sign states the same periods, read from the same file by `clearsight notice`.
    out = tmp_path / "signs"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from clearsight.cli import main; main(sys.argv[1:])",
            "notice",
            "--config",
            str(config_file),
            "--out-dir",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    sign = (out / "notice.html").read_text(encoding="utf-8")
    assert "If staff decide it is not a match: deleted within 2 hours." in sign
    assert "If nobody checks it within 3 hours: deleted unreviewed." in sign
    assert "24 hours" not in sign  # the defaults appear nowhere
    expected = build_notice(config.privacy, config.retention).text()
    assert "deleted within 2 hours" in expected and "within 3 hours" in expected
