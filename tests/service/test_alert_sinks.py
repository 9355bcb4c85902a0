"""Alert sinks, each delivered to on its own: a real local HTTP receiver (webhook), a real
aiosmtpd server (email, plain, STARTTLS and SSL), the store on SQLite and PostgreSQL.

One failing sink is retried on its own backoff and never makes the others send again; the
email says which alert, whom, where and when, with a link and no image; a bad sink list is
refused with a message that names the problem; a new sink type is one new module."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd import controller as aiosmtpd_controller
from pydantic import ValidationError
from sqlalchemy import select
from tests.service.conftest import NOW, make_user
from tests.service.test_notify import Receiver
from tests.service.test_store import CIPHER, alert_for, approved_entry

from clearsight.notify import ConfirmedAlertMessage, Notifier, NotifyConfig, deliver_outbox
from clearsight.review import Decision, ReviewPolicy
from clearsight.store import AuditRecord, Database, Role, accounts, alerts, deliveries


def confirmed_alert(db: Database, key: str = "k1") -> str:
    subject = approved_entry(db)
    r1, r2 = make_user(db, "rev1", Role.REVIEWER), make_user(db, "rev2", Role.REVIEWER)
    policy = ReviewPolicy(required_confirmations=2)
    with db.session() as s:
        alert_id = alerts.ingest_alert(s, CIPHER, alert_for(subject, key), NOW).alert.id
    for reviewer in (r1, r2):
        with db.session() as s:
            alerts.decide(s, alert_id, reviewer, Decision.CONFIRM, "same face", policy, NOW)
    return str(alert_id)


class Mailbox:
    """An aiosmtpd server on 127.0.0.1 keeping what it is sent."""

    def __init__(self, **smtp: Any) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        outer = self

        class Handler:
            async def handle_DATA(  # noqa: N802  # aiosmtpd's hook name
                self, server: Any, session: Any, envelope: Any
            ) -> str:
                outer.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
                assert isinstance(parsed, EmailMessage)
                outer.messages.append(parsed)
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = aiosmtpd_controller.Controller(
            Handler(), hostname="127.0.0.1", port=self.port, **smtp
        )
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    yield box
    box.close()


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    good, flaky = Receiver(), Receiver()
    yield good, flaky
    good.close()
    flaky.close()


def smtp_sink(port: int, **changes: object) -> dict[str, object]:
    return {
        "type": "smtp",
        "name": "mail",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_address": "clearsight@example.org",
        "to_addresses": ["duty@example.org", "lead@example.org"],
        "service_url": "https://cs.example.org/",
        **changes,
    }


def test_a_failing_sink_backs_off_alone_and_never_resends_another_sinks(
    db: Database, receivers: tuple[Receiver, Receiver], mailbox: Mailbox
) -> None:
    good, flaky = receivers
    retry = {"initial_backoff_s": 10, "multiplier": 2, "max_backoff_s": 30}
    config = NotifyConfig.model_validate(
        {
            "sinks": [
                {"type": "webhook", "name": "ops", "url": good.url},
                smtp_sink(mailbox.port),
                {"type": "webhook", "name": "flaky", "url": flaky.url, "retry": retry},
            ]
        }
    )
    notifier = Notifier(config)
    alert_id = confirmed_alert(db)
    flaky.fail = True

    def attempt_of_flaky() -> tuple[int, dt.datetime | None]:
        with db.read_session() as s:
            rows = {row.sink: row for row in deliveries.deliveries_of(s, alert_id)}
            return rows["flaky"].attempts, rows["flaky"].next_attempt_at

    assert deliver_outbox(db, notifier, NOW) == [alert_id]
    assert len(good.bodies) == 1 and len(mailbox.messages) == 1 and flaky.bodies == []
    assert attempt_of_flaky() == (1, NOW + timedelta(seconds=10))
    # Rounds before flaky's backoff send nothing anywhere; the others are never re-sent.
    assert deliver_outbox(db, notifier, NOW + timedelta(seconds=5)) == []
    assert attempt_of_flaky() == (1, NOW + timedelta(seconds=10))
    # The backoff grows, 10 s, 20 s, then stays at the 30 s longest.
    at = NOW
    for failures, wait in [(2, 20), (3, 30), (4, 30)]:
        at = attempt_of_flaky()[1] or at
        assert deliver_outbox(db, notifier, at) == []
        assert attempt_of_flaky() == (failures, at + timedelta(seconds=wait))
    assert notifier.failures == 4
    with db.read_session() as s:
        assert [a.id for a in alerts.confirmed_unnotified(s)] == [alert_id]  # still owed
    flaky.fail = False
    at = attempt_of_flaky()[1]
    assert at is not None
    assert deliver_outbox(db, notifier, at) == [alert_id]
    assert [b["alert_id"] for b in flaky.bodies] == [alert_id]
    assert len(good.bodies) == 1 and len(mailbox.messages) == 1  # sent once, ever
    assert deliver_outbox(db, notifier, at + timedelta(hours=1)) == []
    with db.read_session() as s:
        assert alerts.confirmed_unnotified(s) == []
        assert alerts.get_alert(s, alert_id).notified_at == at
        rows = {row.sink: row for row in deliveries.deliveries_of(s, alert_id)}
        assert {name: (r.attempts, r.delivered_at) for name, r in rows.items()} == {
            "ops": (1, NOW),
            "mail": (1, NOW),
            "flaky": (5, at),
        }
        assert "HTTP 500" in (rows["flaky"].last_error or "")
        notified = s.scalars(
            select(AuditRecord).where(
                AuditRecord.record_id == alert_id, AuditRecord.action == "alert.notified"
            )
        ).all()
    # Each sink's delivery is audited when it happens, with the sink's name.
    assert sorted(json.loads(r.details)["channels"] for r in notified) == ["flaky", "mail", "ops"]


def test_a_sink_gives_up_after_max_attempts_and_the_alert_leaves_the_outbox(
    db: Database, receivers: tuple[Receiver, Receiver]
) -> None:
    good, flaky = receivers
    flaky.fail = True
    retry = {"initial_backoff_s": 1, "max_attempts": 2}
    notifier = Notifier(
        NotifyConfig.model_validate(
            {
                "webhook_url": good.url,  # the flat field: a sink named "webhook"
                "sinks": [{"type": "webhook", "name": "flaky", "url": flaky.url, "retry": retry}],
            }
        )
    )
    alert_id = confirmed_alert(db)
    assert deliver_outbox(db, notifier, NOW) == [alert_id]
    with db.read_session() as s:
        assert [a.id for a in alerts.confirmed_unnotified(s)] == [alert_id]
    later = NOW + timedelta(seconds=1)
    assert deliver_outbox(db, notifier, later) == []
    with db.read_session() as s:
        assert alerts.confirmed_unnotified(s) == []
        row = {r.sink: r for r in deliveries.deliveries_of(s, alert_id)}["flaky"]
        assert (row.attempts, row.abandoned_at, row.delivered_at) == (2, later, None)
        abandoned = s.scalars(
            select(AuditRecord).where(AuditRecord.action == "alert.notify_abandoned")
        ).one()
    assert abandoned.record_id == alert_id and json.loads(abandoned.details)["channels"] == "flaky"
    assert "gave up after 2 failed attempts" in abandoned.reason
    assert deliver_outbox(db, notifier, NOW + timedelta(days=1)) == []
    assert len(good.bodies) == 1 and flaky.bodies == []


def test_a_sink_that_is_down_is_tried_once_a_round_not_once_an_alert(
    tmp_path: Path, receivers: tuple[Receiver, Receiver]
) -> None:
    good, flaky = receivers
    flaky.fail = True
    db = Database.for_data_dir(tmp_path)
    db.migrate()
    notifier = Notifier(
        NotifyConfig.model_validate(
            {
                "sinks": [
                    {"type": "webhook", "name": "ops", "url": good.url},
                    {"type": "webhook", "name": "flaky", "url": flaky.url},
                ]
            }
        )
    )
    first = confirmed_alert(db, "k1")
    with db.session() as s:  # a second confirmed alert of the same subject
        subject = alerts.get_alert(s, first).subject_id
        second = alerts.ingest_alert(s, CIPHER, alert_for(subject, "k2"), NOW).alert.id
    policy = ReviewPolicy(required_confirmations=1)
    with db.session() as s:
        reviewer = accounts.authenticate(s, "rev1", "correct horse battery")
        assert reviewer is not None
        # Confirmed a second later: the outbox goes oldest confirmation first.
        later = NOW + timedelta(seconds=1)
        alerts.decide(s, second, reviewer, Decision.CONFIRM, "same face", policy, later)
    assert deliver_outbox(db, notifier, NOW) == [first, second]
    assert len(good.bodies) == 2
    with db.read_session() as s:
        tried = {a: [r.sink for r in deliveries.deliveries_of(s, a)] for a in (first, second)}
    assert tried == {first: ["flaky", "ops"], second: ["ops"]}  # flaky: one attempt this round
    # Next round the first alert waits out its backoff and the second gets its try.
    assert deliver_outbox(db, notifier, NOW + timedelta(seconds=1)) == []
    with db.read_session() as s:
        rows = {r.sink: r.attempts for r in deliveries.deliveries_of(s, second)}
    assert rows == {"flaky": 1, "ops": 1}
    db.dispose()


def test_a_process_killed_after_a_sink_took_an_alert_sends_it_again_to_that_sink_only(
    tmp_path: Path, receivers: tuple[Receiver, Receiver]
) -> None:
    """At least once, never lost: the deliverer is SIGKILLed while the second sink holds the
    alert, before it could record that; the next round sends it to that sink again, and the
    first sink, whose delivery was recorded, is not sent it again."""
    good, last = receivers
    db = Database.for_data_dir(tmp_path)
    db.migrate()
    alert_id = confirmed_alert(db)
    sinks = [
        {"type": "webhook", "name": "ops", "url": good.url},
        {"type": "webhook", "name": "last", "url": last.url},
    ]
    code = textwrap.dedent(
        f"""
        from datetime import datetime
        from pathlib import Path
        from clearsight.notify import Notifier, NotifyConfig, deliver_outbox
        from clearsight.store import Database
        notifier = Notifier(NotifyConfig.model_validate({{"sinks": {sinks!r}}}))
        db = Database.for_data_dir(Path({str(tmp_path)!r}))
        deliver_outbox(db, notifier, datetime.fromisoformat({NOW.isoformat()!r}))
        print("not killed")
        """
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    last.on_body = lambda: os.kill(child.pid, signal.SIGKILL)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL and "not killed" not in out
    assert len(good.bodies) == 1 and len(last.bodies) == 1
    with db.read_session() as s:
        assert {r.sink for r in deliveries.deliveries_of(s, alert_id)} == {"ops"}
    last.on_body = lambda: None
    notifier = Notifier(NotifyConfig.model_validate({"sinks": sinks}))
    assert deliver_outbox(db, notifier, NOW) == [alert_id]
    assert len(good.bodies) == 1 and [b["alert_id"] for b in last.bodies] == [alert_id] * 2
    with db.read_session() as s:
        assert alerts.confirmed_unnotified(s) == []
    db.dispose()


def test_a_receivers_retry_after_is_honoured(tmp_path: Path, receivers: Any) -> None:
    _, flaky = receivers
    flaky.fail, flaky.retry_after = True, "120"
    db = Database.for_data_dir(tmp_path)
    db.migrate()
    notifier = Notifier(NotifyConfig(webhook_url=flaky.url))
    alert_id = confirmed_alert(db)
    assert deliver_outbox(db, notifier, NOW) == []
    with db.read_session() as s:
        (row,) = deliveries.deliveries_of(s, alert_id)
    assert row.next_attempt_at == NOW + timedelta(seconds=120)  # longer than the 10 s backoff
    assert "HTTP 503" in (row.last_error or "")
    db.dispose()


MESSAGE = ConfirmedAlertMessage(
    "a1b2", "e9", "Jo Bloggs", "front door", "cam-7", "2026-06-01T11:58:00+00:00",
    "2026-06-01T12:00:00+00:00", 0.912, 1.2e-5,
)  # fmt: skip


def test_the_email_names_the_alert_person_camera_time_and_link_and_carries_no_image(
    mailbox: Mailbox,
) -> None:
    config = NotifyConfig.model_validate({"sinks": [smtp_sink(mailbox.port)]})
    sent = Notifier(config).send(MESSAGE)
    assert sent["mail"].ok, sent
    (message,) = mailbox.messages
    assert mailbox.envelopes == [
        ("clearsight@example.org", ["duty@example.org", "lead@example.org"])
    ]
    assert message["Subject"] == "[clearsight] Confirmed alert: Jo Bloggs at front door"
    assert message["From"] == "clearsight@example.org"
    assert message["To"] == "duty@example.org, lead@example.org"
    assert not message.is_multipart() and message.get_content_type() == "text/plain"
    body = message.get_content()
    for line in [
        "Alert: a1b2",
        "Person: Jo Bloggs (watchlist entry e9)",
        "Camera: front door (cam-7)",
        "Seen at: 2026-06-01T11:58:00+00:00",
        "Confirmed at: 2026-06-01T12:00:00+00:00",
        "Alert page: https://cs.example.org/events/a1b2",
    ]:
        assert line in body.splitlines(), body
    assert "PNG" not in body and "base64" not in str(message).lower()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written as PEM (the CA file is the cert)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "clearsight test SMTP")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - timedelta(days=1))
        .not_valid_after(dt.datetime.now(dt.UTC) + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# aiosmtpd warns that AUTH is allowed without STARTTLS; under `ssl` the socket is TLS itself.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_starttls_or_ssl_with_a_login_checks_the_certificate(
    tmp_path: Path, security: str
) -> None:
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        logins.append((auth.login, auth.password))
        return AuthResult(success=auth.password == b"s3cret", handled=False)

    tls = (
        {"tls_context": server_tls, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": server_tls, "auth_require_tls": False}  # TLS from the socket up
    )
    box = Mailbox(authenticator=authenticator, auth_required=True, **tls)
    try:
        entry = smtp_sink(
            box.port, security=security, username="cs", password="s3cret", ca_file=str(cert)
        )
        sent = Notifier(NotifyConfig.model_validate({"sinks": [entry]})).send(MESSAGE)
        assert sent["mail"].ok, sent
        assert len(box.messages) == 1 and logins == [(b"cs", b"s3cret")]
        wrong = {**entry, "password": "wrong"}
        refused = Notifier(NotifyConfig.model_validate({"sinks": [wrong]})).send(MESSAGE)
        assert not refused["mail"].ok and "SMTPAuthenticationError" in refused["mail"].detail
        # Without the CA file the certificate is not trusted, and nothing is sent.
        untrusted = {**entry, "ca_file": None}
        refused = Notifier(NotifyConfig.model_validate({"sinks": [untrusted]})).send(MESSAGE)
        assert not refused["mail"].ok and "CERTIFICATE_VERIFY_FAILED" in refused["mail"].detail
        assert len(box.messages) == 1
    finally:
        box.close()


@pytest.mark.parametrize(
    ("notify", "expected"),
    [
        (
            {"sinks": [{"type": "pager", "name": "p"}]},
            "does not match any of the expected tags: 'mqtt', 'smtp', 'webhook'",
        ),
        ({"sinks": [{"name": "p", "url": "http://x"}]}, "Unable to extract tag using"),
        (
            {
                "sinks": [
                    {"type": "webhook", "name": "ops", "url": "http://a"},
                    {"type": "mqtt", "name": "ops", "host": "b"},
                ]
            },
            "two sinks are named 'ops'; each sink needs its own name",
        ),
        (
            {
                "webhook_url": "http://a",
                "sinks": [{"type": "smtp", **smtp_sink(25, name="webhook")}],
            },
            "two sinks are named 'webhook'; each sink needs its own name (webhook_url makes",
        ),
        ({"sinks": [{"type": "webhook", "name": "ops", "url": "ftp://a"}]}, "sinks.0.webhook.url"),
        ({"sinks": [{"type": "webhook", "name": "ops", "uri": "http://a"}]}, "Extra inputs"),
        (
            {"sinks": [{"type": "webhook", "name": "a b", "url": "http://a"}]},
            "sinks.0.webhook.name",
        ),
        ({"sinks": [smtp_sink(25, to_addresses=["not an address"])]}, "to_addresses.0"),
        ({"sinks": [smtp_sink(25, username="u")]}, "username and password go together"),
        (
            {"sinks": [smtp_sink(25, retry={"initial_backoff_s": 60, "max_backoff_s": 10})]},
            "max_backoff_s (10.0) is below initial_backoff_s (60.0)",
        ),
    ],
)
def test_a_bad_sink_list_is_refused_with_a_clear_message(
    notify: dict[str, object], expected: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        NotifyConfig.model_validate(notify)
    assert expected in str(caught.value)


def test_every_sink_setting_is_titled_and_described() -> None:
    from clearsight.notify import RetryPolicy, sink_types

    for model in [NotifyConfig, RetryPolicy, *sink_types().values()]:
        for name, field in model.model_fields.items():
            assert field.title and field.description, f"{model.__name__}.{name}"


NEW_SINK = '''
"""type = "file": appends each confirmed alert to a file (a sink written for the test)."""
from pathlib import Path
from typing import Literal
from pydantic import Field
from clearsight.notify.sinks import AlertSink, ConfirmedAlertMessage, Delivery, SinkConfig


class FileSinkConfig(SinkConfig):
    type: Literal["file"] = Field("file", title="Sink type", description="A line per alert.")
    path: Path = Field(title="File", description="Where the lines go.")

    def open(self) -> "FileSink":
        return FileSink(self)


class FileSink(AlertSink):
    def __init__(self, config: FileSinkConfig) -> None:
        super().__init__(config.name)
        self.config = config

    def send(self, message: ConfirmedAlertMessage) -> Delivery:
        with self.config.path.open("a") as out:
            out.write(message.to_json() + "\\n")
        return Delivery.sent()
'''


def test_a_new_sink_type_is_one_module_and_a_config_entry(tmp_path: Path) -> None:
    """A copy of the package with one module saved beside webhook.py, nothing else changed:
    the config accepts the new type and the notifier delivers to it."""
    import shutil

    import clearsight

    copy = tmp_path / "src" / "clearsight"
    shutil.copytree(Path(clearsight.__file__).parent, copy)
    (copy / "notify" / "sinks" / "file.py").write_text(NEW_SINK, encoding="utf-8")
    out = tmp_path / "alerts.jsonl"
    code = textwrap.dedent(
        f"""
        import clearsight
        assert clearsight.__file__.startswith({str(copy)!r}), clearsight.__file__
        from clearsight.notify import ConfirmedAlertMessage, Notifier, NotifyConfig
        entry = {{"type": "file", "name": "journal", "path": {str(out)!r}}}
        notifier = Notifier(NotifyConfig.model_validate({{"sinks": [entry]}}))
        message = ConfirmedAlertMessage("a1", "e1", "Jo", "door", None, "t", "t", 0.9, 1e-4)
        print(notifier.send(message)["journal"].ok)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "src")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert '"alert_id": "a1"' in out.read_text(encoding="utf-8")
