"""What a shop needs every day (issue 16): the event history, correcting records, home pages
that say what waits, API docs from the package, Prometheus metrics, MQTT settings, demo photos."""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.service.webkit import (
    PASSWORD,
    add_user,
    alert_body,
    api_token,
    csrf_of,
    login,
    make_app,
    png_bytes,
    review_team,
)

from clearsight.store import AlertRecord, AuditRecord, Camera, ReferencePhoto, Role, cameras
from clearsight.store._cameras import CameraFields


def _actions(app, record_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with app.state.clearsight.db.read_session() as s:
        return [
            r.action
            for r in s.scalars(
                select(AuditRecord)
                .where(AuditRecord.record_id == record_id)
                .order_by(AuditRecord.seq)
            )
        ]


def _camera(app, name: str, site: str) -> str:  # type: ignore[no-untyped-def]
    ctx = app.state.clearsight
    with ctx.db.session() as s:
        return str(
            cameras.create_camera(
                s,
                CameraFields(name=name, source=f"rtsp://10.1.1.1/{name}", site=site),
                "t",
                ctx.now(),
            ).id
        )


def test_event_history_filters_and_opens_an_alert_with_its_decisions(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with (
        TestClient(app) as worker,
        TestClient(app) as r1,
        TestClient(app) as r2,
        TestClient(app) as auditor,
        TestClient(app) as admin,
    ):
        entry_id, camera = review_team(app)
        add_user(app, "aud", Role.AUDITOR)
        door, till = _camera(app, "door", "north"), _camera(app, "till", "south")
        worker.headers.update(camera)
        ids = {}
        for key, cam in (("a", door), ("b", till), ("c", door)):
            body = alert_body(entry_id, key) | {"camera_id": cam}
            ids[key] = worker.post("/api/alerts", json=body).json()["id"]
        r1.headers["X-CSRF-Token"] = login(r1, "r1")
        r2.headers["X-CSRF-Token"] = login(r2, "r2")
        for who in (r1, r2):
            who.post(
                f"/api/alerts/{ids['a']}/decisions", json={"decision": "confirm", "comment": "same"}
            )
        r1.post(
            f"/api/alerts/{ids['b']}/decisions", json={"decision": "reject", "comment": "not her"}
        )
        r2.post(f"/api/alerts/{ids['b']}/decisions", json={"decision": "reject", "comment": "no"})

        login(auditor, "aud")
        everything = auditor.get("/events").text
        assert all(ids[k] in everything for k in "abc") and "3 alerts" in everything
        confirmed = auditor.get("/events", params={"outcome": "confirmed"}).text
        assert ids["a"] in confirmed and ids["b"] not in confirmed and ids["c"] not in confirmed
        south = auditor.get("/events", params={"site": "south"}).text
        assert ids["b"] in south and ids["a"] not in south
        at_door = auditor.get("/events", params={"camera": door, "outcome": ""}).text
        assert ids["a"] in at_door and ids["c"] in at_door and ids["b"] not in at_door
        assert ids["a"] in auditor.get("/events", params={"subject": "seeded"}).text
        assert "No alert matches" in auditor.get("/events", params={"subject": "nobody"}).text
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
        assert "No alert matches" in auditor.get("/events", params={"since": tomorrow}).text
        assert auditor.get("/events", params={"since": "", "until": ""}).status_code == 200
        assert auditor.get("/events", params={"until": "soon"}).status_code == 400

        # An auditor opens the confirmed alert: decisions and times, but no faces.
        detail = auditor.get(f"/events/{ids['a']}").text
        assert (
            "r1" in detail and "r2" in detail and "Confirmed" in detail and "/images/" not in detail
        )
        assert "alert.viewed" in _actions(app, ids["a"])
        # A reviewer sees the faces; a pending alert's decisions stay hidden until they decide.
        assert "/images/alerts/" in r1.get(f"/events/{ids['a']}").text
        assert 'id="decisions-hidden"' in r1.get(f"/events/{ids['c']}").text
        # Admins see it too, limited to their sites like everyone else.
        login(admin, "adm")
        assert admin.get(f"/events/{ids['b']}").status_code == 200
        with app.state.clearsight.db.session() as s:
            from clearsight.store import User

            s.scalars(select(User).where(User.username == "aud")).one().sites = "north"
        assert auditor.get(f"/events/{ids['b']}").status_code == 404
        assert ids["b"] not in auditor.get("/events").text


def test_password_change_and_an_admin_reset_that_must_be_changed(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as admin, TestClient(app) as rev, TestClient(app) as other:
        add_user(app, "adm", Role.ADMIN)
        rev_id = add_user(app, "rev", Role.REVIEWER)
        token = login(rev, "rev")
        login(other, "rev")  # a second session of the same person
        wrong = rev.post(
            "/account/password",
            data={
                "csrf_token": token,
                "current": "not it at all",
                "new": "x" * 14,
                "repeat": "x" * 14,
            },
        )
        assert wrong.status_code == 409 and re.search(
            r'data-error-for="current" role="alert">[^<]*wrong', wrong.text
        )
        done = rev.post(
            "/account/password",
            data={
                "csrf_token": token,
                "current": PASSWORD,
                "new": "a brand new secret",
                "repeat": "a brand new secret",
            },
        )
        assert done.status_code == 200 and 'id="password-changed"' in done.text
        assert rev.get("/review").status_code == 200  # this session stays
        assert other.get("/review", follow_redirects=False).headers["location"] == "/login"
        assert "user.password_changed" in _actions(app, rev_id)

        admin_token = login(admin, "adm")
        refused = admin.post(
            f"/users/{rev_id}/password",
            data={"csrf_token": admin_token, "password": "temporary pass 1", "reason": ""},
        )
        assert refused.status_code == 400 and 'id="error-password"' in refused.text
        reset = admin.post(
            f"/users/{rev_id}/password",
            data={"csrf_token": admin_token, "password": "temporary pass 1", "reason": "forgot it"},
            follow_redirects=False,
        )
        assert reset.status_code == 303
        assert rev.get("/review", follow_redirects=False).headers["location"] == "/login"
        # Signing in with the temporary password leads to the password page, and nowhere else.
        page = rev.get("/login")
        signed = rev.post(
            "/login",
            data={
                "username": "rev",
                "password": "temporary pass 1",
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert signed.headers["location"] == "/account/password"
        assert rev.get("/review", follow_redirects=False).headers["location"] == "/account/password"
        assert rev.get("/", follow_redirects=False).headers["location"] == "/account/password"
        form = rev.get("/account/password").text
        assert 'id="password-required"' in form
        rev.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(form),
                "current": "temporary pass 1",
                "new": "my own secret!",
                "repeat": "my own secret!",
            },
        )
        assert rev.get("/review").status_code == 200
        assert _actions(app, rev_id)[-3:] == [
            "user.password_reset",
            "auth.login",
            "user.password_changed",
        ]


def test_role_change_and_re_enabling_a_user_are_audited(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as admin:
        add_user(app, "adm", Role.ADMIN)
        user_id = add_user(app, "sam", Role.REVIEWER)
        token = login(admin, "adm")
        admin.post(
            f"/users/{user_id}/role",
            data={"csrf_token": token, "role": "auditor", "reason": "moved team"},
        )
        admin.post(f"/users/{user_id}/disable", data={"csrf_token": token, "reason": "left"})
        page = admin.get(f"/users/{user_id}").text
        assert 'id="user-role">Auditor' in page and "Disabled" in page
        admin.post(f"/users/{user_id}/enable", data={"csrf_token": token, "reason": "came back"})
        assert "Active" in admin.get(f"/users/{user_id}").text
        assert _actions(app, user_id)[-3:] == ["user.role_changed", "user.disabled", "user.enabled"]
        own = admin.get("/users").text
        adm_id = re.search(r'href="/users/([0-9a-f]+)">adm<', own).group(1)
        refused = admin.post(
            f"/users/{adm_id}/role", data={"csrf_token": token, "role": "reviewer", "reason": "x"}
        )
        assert refused.status_code == 409


def test_pending_entries_are_rejected_withdrawn_or_corrected_with_reasons(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as enroller, TestClient(app) as approver:
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "adm", Role.ADMIN)
        token = login(enroller, "enr")

        def enrol(name: str, seed: int) -> str:
            made = enroller.post(
                "/watchlist",
                data={
                    "csrf_token": token,
                    "name": name,
                    "reason_category": "violence",
                    "incident_ref": "INC-1",
                    "notes": "n",
                    "attested_not_minor": "on",
                },
                files=[("photos", ("p.png", png_bytes(seed), "image/png"))],
                follow_redirects=False,
            )
            assert made.status_code == 303, made.text
            return made.headers["location"].rsplit("/", 1)[1]

        to_reject, to_withdraw, to_edit = enrol("Ann", 1), enrol("Bob", 2), enrol("Cy", 3)
        admin_token = login(approver, "adm")
        assert "2 watchlist" not in approver.get("/").text
        assert approver.get("/api/summary").json()["entries_awaiting_approval"] == 3
        # Rejecting needs a reason; then the face data is gone.
        assert (
            approver.post(
                f"/watchlist/{to_reject}/reject", data={"csrf_token": admin_token, "reason": ""}
            ).status_code
            == 400
        )
        approver.post(
            f"/watchlist/{to_reject}/reject",
            data={"csrf_token": admin_token, "reason": "no incident report"},
        )
        page = approver.get(f"/watchlist/{to_reject}").text
        assert 'data-status="rejected"' in page and "Ann" not in page
        with app.state.clearsight.db.read_session() as s:
            assert (
                s.scalars(select(ReferencePhoto).where(ReferencePhoto.entry_id == to_reject)).all()
                == []
            )
        # The enroller cannot reject their own, but withdraws it.
        assert (
            enroller.post(
                f"/watchlist/{to_withdraw}/reject", data={"csrf_token": token, "reason": "x"}
            ).status_code
            == 409
        )
        enroller.post(
            f"/watchlist/{to_withdraw}/withdraw",
            data={"csrf_token": token, "reason": "wrong person"},
        )
        assert 'data-status="withdrawn"' in enroller.get(f"/watchlist/{to_withdraw}").text
        # Correcting a pending entry names the fields changed, not their values.
        form = enroller.get(f"/watchlist/{to_edit}/edit").text
        assert 'value="Cy"' in form
        edited = enroller.post(
            f"/watchlist/{to_edit}/edit",
            data={
                "csrf_token": token,
                "name": "Cyrus",
                "reason_category": "threats",
                "incident_ref": "INC-2",
                "notes": "n",
                "site": "",
                "reason": "typo",
            },
            follow_redirects=False,
        )
        assert edited.status_code == 303
        assert "Cyrus" in enroller.get(f"/watchlist/{to_edit}").text
        assert approver.get("/api/summary").json()["entries_awaiting_approval"] == 1
        assert "watchlist.rejected" in _actions(app, to_reject)
        assert "watchlist.withdrawn" in _actions(app, to_withdraw)
        assert "watchlist.edited" in _actions(app, to_edit)
        with app.state.clearsight.db.read_session() as s:
            last = s.scalars(
                select(AuditRecord).where(
                    AuditRecord.record_id == to_edit, AuditRecord.action == "watchlist.edited"
                )
            ).one()
        assert "Cyrus" not in last.details and "name" in last.details and last.reason == "typo"


def test_a_deleted_camera_keeps_its_alerts_in_the_history(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as admin, TestClient(app) as worker:
        entry_id, ingest = review_team(app)
        camera_id = _camera(app, "door", "")
        worker.headers.update(ingest)
        alert_id = worker.post(
            "/api/alerts", json=alert_body(entry_id, "d") | {"camera_id": camera_id}
        ).json()["id"]
        token = login(admin, "adm")
        assert (
            admin.post(
                f"/cameras/{camera_id}/delete", data={"csrf_token": token, "reason": ""}
            ).status_code
            == 400
        )
        done = admin.post(
            f"/cameras/{camera_id}/delete",
            data={"csrf_token": token, "reason": "replaced"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        with app.state.clearsight.db.read_session() as s:
            assert s.get(Camera, camera_id) is None
            assert s.get(AlertRecord, alert_id).camera_id is None
        assert _actions(app, camera_id)[-1] == "camera.deleted"
        assert alert_id in admin.get("/events").text


def test_home_pages_say_what_waits(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as worker, TestClient(app) as r1, TestClient(app) as admin:
        entry_id, ingest = review_team(app)
        worker.headers.update(ingest)
        login(r1, "r1")
        assert 'id="count-alerts">0<' in r1.get("/").text
        alert_id = worker.post("/api/alerts", json=alert_body(entry_id, "h")).json()["id"]
        home = r1.get("/").text
        assert 'id="count-alerts">1<' in home and "/static/notify.js" in home
        assert r1.get("/api/summary").json()["newest_alert_id"] == alert_id
        login(admin, "adm")
        home = admin.get("/").text
        assert 'id="count-entries">0<' in home and "count-alerts" not in home
        ctx = app.state.clearsight
        camera_id = _camera(app, "yard", "")
        with ctx.db.session() as s:
            cameras.report_status(
                s,
                camera_id,
                "reconnecting",
                ctx.now(),
                0.0,
                None,
                "rtsp://10.1.1.1/yard: cannot open video (Connection refused)",
                ctx.now() + timedelta(seconds=4),
            )
        assert 'id="count-cameras">1<' in admin.get("/").text
        page = admin.get("/cameras").text
        assert "Reconnecting" in page and "next try" in page and "Connection refused" in page


def test_api_docs_are_served_from_the_package_for_signed_in_people(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client, TestClient(app) as anonymous:
        add_user(app, "aud", Role.AUDITOR)
        assert anonymous.get("/api/docs").status_code == 401
        login(client, "aud")
        page = client.get("/api/docs").text
        assert (
            "/docs-assets/swagger-ui-bundle.js" in page
            and "http" not in page.split("<main>")[1].split("API token")[0]
        )
        bundle = client.get("/docs-assets/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and len(bundle.content) > 100_000
        document = client.get("/api/docs/openapi.json").json()
        assert document["openapi"].startswith("3.0") and "/api/alerts" in document["paths"]


def test_metrics_need_a_token_with_the_metrics_scope(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        entry_id, ingest = review_team(app)
        client.post("/api/alerts", json=alert_body(entry_id, "m"), headers=ingest)
        _camera(app, "door", "")
        assert client.get("/metrics").status_code == 401
        reviewer = api_token(app, "r1", {"alerts:review"})
        assert (
            client.get("/metrics", headers={"Authorization": f"Bearer {reviewer}"}).status_code
            == 403
        )
        scraper = api_token(app, "adm", {"metrics:read"})
        response = client.get("/metrics", headers={"Authorization": f"Bearer {scraper}"})
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/plain"
        )
        text = response.text
        assert "clearsight_review_queue_depth 1.0" in text
        assert 'clearsight_alerts{status="pending"} 1.0' in text
        assert 'clearsight_cameras{state="stopped"} 1.0' in text
        assert 'clearsight_camera_analysed_fps{camera="door"} 0.0' in text
        assert "clearsight_notify_failures 0.0" in text and "clearsight_review_decisions" in text


MQTT = ("127.0.0.1", 1883)


def test_mqtt_user_topic_and_home_assistant_discovery(tmp_path: Path) -> None:
    try:
        socket.create_connection(MQTT, timeout=2).close()
    except OSError as error:
        pytest.skip(f"Mosquitto at {MQTT[0]}:{MQTT[1]} unreachable: {error}")
    import paho.mqtt.client as mqtt

    from clearsight.notify import ConfirmedAlertMessage, Notifier, NotifyConfig

    topic = f"clearsight-test/{uuid.uuid4().hex}"
    prefix = f"ha-test-{uuid.uuid4().hex[:8]}"
    received: dict[str, tuple[bytes, bool]] = {}
    got = threading.Event()
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)

    def on_message(_c, _u, msg):  # type: ignore[no-untyped-def]
        received[msg.topic] = (msg.payload, bool(msg.retain))
        if len(received) == 2:
            got.set()

    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect(*MQTT)
    client.subscribe([(topic, 1), (f"{prefix}/#", 1)])
    client.loop_start()
    try:
        assert subscribed.wait(5)
        config = NotifyConfig(
            mqtt_host=MQTT[0],
            mqtt_port=MQTT[1],
            mqtt_topic=topic,
            mqtt_username="clearsight",
            mqtt_password="not checked by the test broker",
            home_assistant_discovery=True,
            home_assistant_prefix=prefix,
        )
        message = ConfirmedAlertMessage("a1", "e1", "Jo", "door", None, "t", "t", 0.9, 1e-4)
        sent = Notifier(config).send(message)
        assert list(sent) == ["mqtt"] and sent["mqtt"].ok, sent
        assert got.wait(5), received
        discovery = f"{prefix}/event/clearsight/clearsight_confirmed_alert/config"
        announced = json.loads(received[discovery][0])
        assert announced["state_topic"] == topic and announced["event_types"] == ["alert.confirmed"]
        assert json.loads(received[topic][0])["alert_id"] == "a1"
        # TLS is really asked for: the plain test broker cannot complete a handshake.
        tls = Notifier(config.model_copy(update={"mqtt_tls": True, "timeout_s": 3}))
        refused = tls.send(message)["mqtt"]  # an OSError (ssl.SSLError), reported, not raised
        assert not refused.ok and refused.detail, refused
    finally:
        client.publish(
            f"{prefix}/event/clearsight/clearsight_confirmed_alert/config", b"", retain=True
        )
        client.loop_stop()
        client.disconnect()


def test_demo_photos_are_written_for_a_new_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    from clearsight.cli import main

    with pytest.raises(SystemExit) as done:
        main(["demo-photos", str(tmp_path / "photos")])
    assert done.value.code in (0, None)
    files = sorted((tmp_path / "photos").iterdir())
    assert [f.name for f in files] == ["eileen-collins.png", "grace-hopper.png"]
    for path in files:
        with Image.open(path) as image:
            assert min(image.size) >= 200
    assert "Eileen Collins" in capsys.readouterr().out
