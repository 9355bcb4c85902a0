"""Only confirmed alerts go onward: a real MQTT subscriber on the local Mosquitto and a local
HTTP receiver see nothing while an alert is pending and exactly one message once confirmed."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.service.webkit import alert_body, api_token, make_app, review_team

from clearsight.notify import NotifyConfig, deliver_outbox
from clearsight.service.usecases import run_outbox
from clearsight.store import alerts

MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records bodies; can be told to fail."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []
        self.fail = False
        self.retry_after: str | None = None  # sent with the failure when set
        self.on_body: Callable[[], None] = lambda: None  # run after a body is recorded
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail:
                    self.send_response(503 if outer.retry_after else 500)
                    if outer.retry_after:
                        self.send_header("Retry-After", outer.retry_after)
                else:
                    outer.bodies.append(json.loads(data))
                    outer.on_body()
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def subscriber() -> Iterator[tuple[str, list[dict[str, object]]]]:
    try:
        socket.create_connection((MQTT_HOST, MQTT_PORT), timeout=2).close()
    except OSError as error:
        pytest.skip(f"Mosquitto at {MQTT_HOST}:{MQTT_PORT} unreachable: {error}")
    import paho.mqtt.client as mqtt

    topic = f"clearsight-test/{uuid.uuid4().hex}"
    received: list[dict[str, object]] = []
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_message = lambda _c, _u, msg: received.append(json.loads(msg.payload))
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect(MQTT_HOST, MQTT_PORT)
    client.subscribe(topic, qos=1)
    client.loop_start()
    if not subscribed.wait(5):
        pytest.skip("MQTT subscription not acknowledged")
    yield topic, received
    client.loop_stop()
    client.disconnect()


def wait_for(predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_confirmed_alert_is_sent_once_by_webhook_and_mqtt(
    tmp_path: Path, receiver: Receiver, subscriber: tuple[str, list[dict[str, object]]]
) -> None:
    topic, received = subscriber
    notify = NotifyConfig(
        webhook_url=receiver.url, mqtt_host=MQTT_HOST, mqtt_port=MQTT_PORT, mqtt_topic=topic
    )
    app = make_app(tmp_path, notify=notify)
    with TestClient(app) as client:
        entry_id, ingest = review_team(app, ("r1", "r2", "r3"))
        confirmed_id = client.post(
            "/api/alerts", json=alert_body(entry_id, "a"), headers=ingest
        ).json()["id"]
        rejected_id = client.post(
            "/api/alerts", json=alert_body(entry_id, "b"), headers=ingest
        ).json()["id"]
        tokens = {
            n: {"Authorization": "Bearer " + api_token(app, n, {"alerts:review"})}
            for n in ("r1", "r2", "r3")
        }

        def decide(alert_id: str, who: str, decision: str) -> str:
            response = client.post(
                f"/api/alerts/{alert_id}/decisions",
                headers=tokens[who],
                json={"decision": decision, "comment": f"{who} {decision}"},
            )
            assert response.status_code == 201, response.text
            return str(response.json()["alert_status"])

        assert decide(confirmed_id, "r1", "confirm") == "pending"
        assert decide(rejected_id, "r1", "confirm") == "pending"
        assert decide(rejected_id, "r2", "reject") == "rejected"
        run_outbox(app.state.clearsight)
        time.sleep(0.5)
        assert receiver.bodies == [] and received == []  # nothing pending or rejected leaves
        assert decide(confirmed_id, "r2", "confirm") == "confirmed"
        assert wait_for(lambda: len(receiver.bodies) == 1 and len(received) == 1)
        for message in (receiver.bodies[0], received[0]):
            assert message["event"] == "alert.confirmed"
            assert message["alert_id"] == confirmed_id and message["subject_id"] == entry_id
        assert run_outbox(app.state.clearsight) == []  # delivered once, never again
        time.sleep(0.3)
        assert len(receiver.bodies) == 1 and len(received) == 1


def test_failed_delivery_stays_in_the_outbox_and_is_retried(
    tmp_path: Path, receiver: Receiver
) -> None:
    app = make_app(tmp_path, notify=NotifyConfig(webhook_url=receiver.url))
    ctx = app.state.clearsight
    with TestClient(app) as client:
        entry_id, ingest = review_team(app)
        alert_id = client.post(
            "/api/alerts", json=alert_body(entry_id, "a"), headers=ingest
        ).json()["id"]
        receiver.fail = True
        for who in ("r1", "r2"):
            token = {"Authorization": "Bearer " + api_token(app, who, {"alerts:review"})}
            client.post(
                f"/api/alerts/{alert_id}/decisions",
                headers=token,
                json={"decision": "confirm", "comment": "ok"},
            )
        time.sleep(0.5)
        with ctx.db.session() as s:
            assert [a.id for a in alerts.confirmed_unnotified(s)] == [alert_id]
        receiver.fail = False
        # Retried after the sink's backoff, not in every round before it.
        assert run_outbox(ctx) == [] and receiver.bodies == []
        backoff = ctx.notifier.settings["webhook"].retry.backoff(1)
        assert deliver_outbox(ctx.db, ctx.notifier, ctx.now() + backoff) == [alert_id]
        assert [b["alert_id"] for b in receiver.bodies] == [alert_id]
        with ctx.db.session() as s:
            assert alerts.confirmed_unnotified(s) == []
