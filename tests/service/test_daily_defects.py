"""The defects a store's staff met on day two, each pinned by a test (issue 16):
audit filter with empty dates, exports that match the screen and are audited, the reviewer
queue, refused forms that keep what was typed, plain labels and one time zone."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.service.webkit import (
    add_user,
    alert_body,
    login,
    make_app,
    review_team,
)

from clearsight.cli import main
from clearsight.store import AuditRecord, Role, WebSession


def _rows(page: str) -> list[str]:
    """The audit table's sequence numbers, as shown."""
    body = page.split('id="audit-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>(\d+)</td>", body)


def test_audit_filter_with_empty_dates_is_no_bound_and_export_matches_the_screen(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as worker, TestClient(app) as r1, TestClient(app) as auditor:
        entry_id, camera = review_team(app)
        add_user(app, "aud", Role.AUDITOR)
        worker.headers.update(camera)
        first = worker.post("/api/alerts", json=alert_body(entry_id, "k1")).json()["id"]
        second = worker.post("/api/alerts", json=alert_body(entry_id, "k2")).json()["id"]
        r1.headers["X-CSRF-Token"] = login(r1, "r1")
        assert (
            r1.post(
                f"/api/alerts/{first}/decisions", json={"decision": "confirm", "comment": "a"}
            ).status_code
            == 201
        )
        middle = datetime.now(UTC)
        assert (
            r1.post(
                f"/api/alerts/{second}/decisions", json={"decision": "reject", "comment": "b"}
            ).status_code
            == 201
        )
        login(auditor, "aud")

        # The form as the browser sends it: empty Since and Until mean "no bound".
        page = auditor.get("/audit", params={"action": "alert.decided", "since": "", "until": ""})
        assert page.status_code == 200, page.text
        assert len(_rows(page.text)) == 2

        # Bounded to after the first decision: one row, and the export link keeps the bounds.
        since = middle.strftime("%Y-%m-%dT%H:%M:%S.%f")  # no zone: read as UTC, as the page says
        page = auditor.get("/audit", params={"action": "alert.decided", "since": since})
        shown = _rows(page.text)
        assert len(shown) == 1
        link = html.unescape(re.search(r'id="export" href="([^"]+)"', page.text).group(1))
        assert "since=" in link and "action=alert.decided" in link
        exported = list(csv.DictReader(io.StringIO(auditor.get(link).text)))
        assert [r["seq"] for r in exported] == shown  # row for row what the auditor saw

        # The export is itself audited, with what it held.
        with app.state.clearsight.db.read_session() as s:
            last = s.scalars(
                select(AuditRecord).where(AuditRecord.action == "audit.exported")
            ).all()[-1]
        assert last.actor == "aud" and '"rows": "1"' in last.details and "since" in last.details

        # A bound that is not a time is said beside its field, not as a 422.
        bad = auditor.get("/audit", params={"since": "yesterday"})
        assert bad.status_code == 400
        assert 'data-error-for="since" role="alert">' in bad.text and "not a date" in bad.text


def test_cli_audit_export_is_audited(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from clearsight.store import Database

    db = Database.for_data_dir(tmp_path)
    db.migrate()
    db.dispose()
    out = tmp_path / "log.csv"
    with pytest.raises(SystemExit) as done:
        main(["audit", "export", "--data-dir", str(tmp_path), "--out", str(out), "--action", "x"])
    assert done.value.code in (0, None)
    db = Database.for_data_dir(tmp_path)
    with db.read_session() as s:
        rows = s.scalars(select(AuditRecord).where(AuditRecord.action == "audit.exported")).all()
    db.dispose()
    assert len(rows) == 1 and rows[0].actor.startswith("cli:")
    assert '"rows": "0"' in rows[0].details and "action=x" in rows[0].details


def test_reviewer_queue_marks_own_decision_and_an_expired_session_gets_401(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as worker, TestClient(app) as r1:
        entry_id, camera = review_team(app)
        worker.headers.update(camera)
        alert_id = worker.post("/api/alerts", json=alert_body(entry_id, "q1")).json()["id"]
        r1.headers["X-CSRF-Token"] = login(r1, "r1")
        before = r1.get("/api/review/queue").json()
        assert [(a["id"], a["your_decision"]) for a in before] == [(alert_id, None)]
        r1.post(f"/api/alerts/{alert_id}/decisions", json={"decision": "confirm", "comment": "a"})
        queue = r1.get("/api/review/queue").json()
        assert [(a["id"], a["your_decision"]) for a in queue] == [(alert_id, "confirm")]
        page = r1.get("/review").text
        assert "you decided: confirm, waiting for another reviewer" in page
        assert "Updates every second" not in page
        screen = r1.get(f"/review/{alert_id}").text
        assert 'id="waiting-second"' in screen
        assert r1.get("/api/summary").json()["alerts_awaiting_you"] == 0

        # The session ends (expiry, sign-out elsewhere): the queue's poll is refused with 401,
        # which review.js turns into the sign-in page rather than stale rows.
        with app.state.clearsight.db.session() as s:
            for row in s.scalars(select(WebSession)):
                row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        assert r1.get("/api/review/queue").status_code == 401
        assert r1.get("/review", follow_redirects=False).headers["location"] == "/login"


def test_a_refused_form_comes_back_with_what_was_typed(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as enroller, TestClient(app) as admin:
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "adm", Role.ADMIN)
        token = login(enroller, "enr")
        black = io.BytesIO()
        from PIL import Image

        Image.new("RGB", (64, 48)).save(black, format="PNG")  # the seam finds no face here
        refused = enroller.post(
            "/watchlist",
            data={
                "csrf_token": token,
                "name": "Jo Bloggs",
                "reason_category": "repeated_serious_theft",
                "incident_ref": "INC-77",
                "notes": "Took the till",
                "site": "north",
                "attested_not_minor": "on",
            },
            files=[("photos", ("dark.png", black.getvalue(), "image/png"))],
        )
        assert refused.status_code == 400
        page = refused.text
        assert 'value="Jo Bloggs"' in page and 'value="INC-77"' in page and "Took the till" in page
        assert 'value="repeated_serious_theft" selected' in page and "checked" in page
        assert re.search(r'data-error-for="photos" role="alert">[^<]*no face', page)
        assert "Request refused" not in page and "data-keep" in page

        token = login(admin, "adm")
        refused = admin.post(
            "/users",
            data={
                "csrf_token": token,
                "username": "newbie",
                "password": "short",
                "role": "reviewer",
            },
        )
        assert refused.status_code == 400
        assert 'value="newbie"' in refused.text and 'value="reviewer" selected' in refused.text
        assert re.search(r'data-error-for="password" role="alert">[^<]*12', refused.text)

        made = admin.post(
            "/cameras",
            data={"csrf_token": token, "name": "Door", "source": "rtsp://10.0.0.9/a", "site": "x"},
            follow_redirects=False,
        )
        assert made.status_code == 303
        again = admin.post(
            "/cameras",
            data={"csrf_token": token, "name": "Door", "source": "rtsp://10.0.0.9/b", "site": "y"},
        )
        assert again.status_code == 409
        assert 'value="rtsp://10.0.0.9/b"' in again.text
        assert re.search(r'data-error-for="name" role="alert">[^<]*already exists', again.text)


def test_people_see_words_and_one_time_zone(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as admin, TestClient(app) as worker, TestClient(app) as r1:
        entry_id, camera = review_team(app)
        worker.headers.update(camera)
        worker.post("/api/alerts", json=alert_body(entry_id, "w1"))
        login(admin, "adm")
        page = admin.get("/watchlist").text
        assert "Repeated serious theft" in page and "repeated_serious_theft" not in page
        assert "Expires (UTC)" in page
        login(r1, "r1")
        queue = r1.get("/review").text
        assert "Received (UTC)" in queue and "Times are UTC" in queue
        assert (
            "toLocaleTimeString"
            not in (Path(__file__).parents[2] / "src/clearsight/web/static/review.js").read_text()
        )


def test_cli_help_keeps_section_names_and_prints_its_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from importlib.metadata import version

    for command in ("notice", "assessment"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "Config file with a [privacy] section." in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code in (0, None)
    assert capsys.readouterr().out.strip() == f"clearsight {version('clearsight')}"


def test_serve_on_a_busy_port_fails_before_printing_a_set_up_link(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from clearsight.cli import main; main()",
                "serve",
                "--allow-unencrypted",
                "--no-cameras",
                "--data-dir",
                str(tmp_path / "data"),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"127.0.0.1:{port}" in done.stderr and "in use" in done.stderr
    assert "setup?token" not in done.stdout and "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()  # nothing was created for a service that never ran
