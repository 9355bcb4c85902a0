"""Service commands: ``clearsight serve`` and ``clearsight audit verify|export``."""

from __future__ import annotations

import errno
import socket
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from clearsight.cli._app import app, friendly_errors
from clearsight.cli._options import (
    ConfigFile,
    DatabaseUrl,
    DataDir,
    deployment,
    flags,
    storage_flags,
    stored_database,
)

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@app.command()
@friendly_errors
def serve(
    config: ConfigFile = None,
    data_dir: DataDir = None,
    host: Annotated[
        str | None,
        typer.Option(help="Address to bind; keep 127.0.0.1 unless needed [config: service.host]."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="TCP port [config: service.port].")] = None,
    database_url: DatabaseUrl = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Encrypt face data at rest with this key [config: service.key_file].",
        ),
    ] = None,
    allow_unencrypted: Annotated[
        bool | None,
        typer.Option(
            "--allow-unencrypted",
            help="Start without an encryption key, storing face images and templates in clear "
            "(for trials only) [config: service.allow_unencrypted].",
        ),
    ] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(help="POST confirmed alerts to this URL [config: notify.webhook_url]."),
    ] = None,
    mqtt_host: Annotated[
        str | None,
        typer.Option(
            help="Publish confirmed alerts to this MQTT broker [config: notify.mqtt_host]."
        ),
    ] = None,
    mqtt_port: Annotated[
        int | None,
        typer.Option(help="MQTT broker port [config: notify.mqtt_port]."),
    ] = None,
    mqtt_topic: Annotated[
        str | None,
        typer.Option(
            help="Topic the confirmed alerts are published to [config: notify.mqtt_topic]."
        ),
    ] = None,
    mqtt_user: Annotated[
        str | None, typer.Option(help="MQTT broker user name [config: notify.mqtt_username].")
    ] = None,
    mqtt_password: Annotated[
        str | None,
        typer.Option(
            envvar="CLEARSIGHT_MQTT_PASSWORD",
            help="MQTT password (better given as $CLEARSIGHT_MQTT_PASSWORD) [config: "
            "notify.mqtt_password].",
        ),
    ] = None,
    mqtt_tls: Annotated[
        bool | None,
        typer.Option(
            "--mqtt-tls", help="Connect to the broker with TLS [config: notify.mqtt_tls]."
        ),
    ] = None,
    mqtt_ca_file: Annotated[
        Path | None,
        typer.Option(
            help="CA certificate (PEM) the broker's is checked against [config: "
            "notify.mqtt_ca_file]."
        ),
    ] = None,
    ha_discovery: Annotated[
        bool | None,
        typer.Option(
            "--ha-discovery",
            help="Announce confirmed alerts to Home Assistant (MQTT discovery, retained) "
            "[config: notify.home_assistant_discovery].",
        ),
    ] = None,
    confirmations: Annotated[
        int | None,
        typer.Option(
            help="Distinct reviewers needed to confirm an alert [config: "
            "review.required_confirmations]."
        ),
    ] = None,
    cameras: Annotated[
        bool | None,
        typer.Option(
            "--cameras/--no-cameras",
            help="Run a worker process for each enabled camera [config: service.cameras].",
        ),
    ] = None,
    pipeline_config: Annotated[
        Path | None,
        typer.Option(
            help="A TOML or JSON file of pipeline sections only, used instead of those in "
            "--config (the camera workers run them)."
        ),
    ] = None,
    demo_camera: Annotated[
        bool | None,
        typer.Option(
            "--demo-camera/--no-demo-camera",
            help="Add a camera replaying the synthetic demo clip (built in the data dir) "
            "[config: service.demo_camera].",
        ),
    ] = None,
    nats: Annotated[
        str | None,
        typer.Option(
            "--nats",
            help="NATS server URL(s): store the cluster's alerts for review and publish each "
            "site's approved watchlist to its workers (needs an encryption key) [config: "
            "cluster.nats_url with service.join_cluster].",
        ),
    ] = None,
    nats_namespace: Annotated[
        str | None,
        typer.Option(
            help="Cluster namespace (as given to `clearsight worker`) [config: cluster.namespace]."
        ),
    ] = None,
    nats_model: Annotated[
        str | None,
        typer.Option(
            help="Embedding model of the templates published to workers; defaults to the "
            "model the pipeline config names [config: service.cluster_model_id]."
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="Address of a reverse proxy whose X-Forwarded-For/-Proto headers are "
            "believed (repeatable). Without it those headers are ignored, so the sign-in "
            "limiter and the audit log see the real peer address [config: "
            "service.trusted_proxies].",
        ),
    ] = None,
    audit_anchor: Annotated[
        Path | None,
        typer.Option(
            "--audit-anchor",
            help="Append the audit chain head to this file on each upkeep round (keep it "
            "off the database host); `audit verify --anchor` checks the chain against it "
            "[config: service.audit_anchor_file].",
        ),
    ] = None,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies",
            help="Mark the session and sign-in cookies Secure (serve behind TLS) [config: "
            "service.secure_cookies].",
        ),
    ] = None,
) -> None:
    """Run the web service; on first start print the one-time set-up link."""
    import uvicorn

    from clearsight.service import build_service, prepare, require_encryption
    from clearsight.web import create_app

    given = {
        **storage_flags(data_dir, database_url),
        **flags(
            ("service.host", "--host", host),
            ("service.port", "--port", port),
            ("service.key_file", "--key-file", key_file),
            ("service.allow_unencrypted", "--allow-unencrypted", allow_unencrypted),
            ("service.secure_cookies", "--secure-cookies", secure_cookies),
            ("service.trusted_proxies", "--trusted-proxy", trusted_proxy),
            ("service.audit_anchor_file", "--audit-anchor", audit_anchor),
            ("service.cameras", "--cameras/--no-cameras", cameras),
            ("service.demo_camera", "--demo-camera", demo_camera),
            ("service.join_cluster", "--nats", True if nats else None),
            ("service.cluster_model_id", "--nats-model", nats_model),
            ("cluster.nats_url", "--nats", nats),
            ("cluster.namespace", "--nats-namespace", nats_namespace),
            ("review.required_confirmations", "--confirmations", confirmations),
            ("notify.webhook_url", "--webhook-url", webhook_url),
            ("notify.mqtt_host", "--mqtt-host", mqtt_host),
            ("notify.mqtt_port", "--mqtt-port", mqtt_port),
            ("notify.mqtt_topic", "--mqtt-topic", mqtt_topic),
            ("notify.mqtt_username", "--mqtt-user", mqtt_user),
            ("notify.mqtt_password", "--mqtt-password", mqtt_password),
            ("notify.mqtt_tls", "--mqtt-tls", mqtt_tls),
            ("notify.mqtt_ca_file", "--mqtt-ca-file", mqtt_ca_file),
            ("notify.home_assistant_discovery", "--ha-discovery", ha_discovery),
        ),
    }
    deployment_config = deployment(config, given, pipeline_config)  # a bad file stops here
    require_encryption(deployment_config)  # so does a missing key, before anything is made
    settings = deployment_config.service
    listener = _listen(settings.host, settings.port)  # and a busy port
    service = build_service(deployment_config)
    setup_link = prepare(settings)
    typer.echo(f"clearsight service on {settings.base_url()}/")
    if setup_link:
        typer.echo(f"first start: create the admin at {setup_link}")
    app = create_app(service.context)
    if settings.demo_camera:
        typer.echo(f"demo camera: {service.add_demo_camera().source} (looped)")
    if service.link is not None:
        cluster = service.config.cluster
        typer.echo(
            f"cluster: alerts from {cluster.nats_url} (namespace {cluster.namespace}) enter "
            "the review queue"
        )
    sys.stdout.flush()
    with service:
        server = uvicorn.Config(
            app,
            log_level="warning",
            proxy_headers=bool(settings.trusted_proxies),
            # Uvicorn believes forwarded headers from 127.0.0.1 by default; here only from
            # the proxies named, so a local client cannot claim another address.
            forwarded_allow_ips=list(settings.trusted_proxies),
        )
        uvicorn.Server(server).run(sockets=[listener])


def _listen(host: str, port: int) -> socket.socket:
    """The service's listening socket, bound now so that a port in use is reported before
    anything is created (the set-up link among them), and kept for the server."""
    from clearsight.errors import ConfigError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise ConfigError(f"--host {host}: not an address this machine has ({error})") from None
    family, kind, proto, _, address = infos[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
        listener.listen(2048)
    except OSError as error:
        listener.close()
        reason = "in use by another program" if error.errno == errno.EADDRINUSE else error.strerror
        raise ConfigError(
            f"cannot listen on {host}:{port}: {reason}; stop the other program or choose "
            "another port with --port"
        ) from None
    listener.set_inheritable(True)
    return listener


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "unknown"


@audit_app.command("verify")
@friendly_errors
def audit_verify(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    anchor: Annotated[
        Path | None,
        typer.Option(
            "--anchor",
            help="File of anchored chain heads (lines '<time> <seq> <hash>', as `serve "
            "--audit-anchor` writes them) kept outside the database: each must still match.",
        ),
    ] = None,
) -> None:
    """Check every link of the hash chain, that every alert, watchlist entry and decision has
    its audit entry and the reverse, and any anchored heads; name what is wrong (exit code 2)."""
    from clearsight.errors import AuditIntegrityError
    from clearsight.service.usecases import check_audit
    from clearsight.store import audit_log

    anchors = _read_anchors(anchor) if anchor else []
    db = stored_database(data_dir, database_url)
    try:
        check = check_audit(db)
        report, problems, (seq, digest) = check.chain, check.record_problems, check.head
        if report.ok:
            with db.read_session() as session:
                for anchored_seq, anchored_digest in anchors:
                    why = audit_log.check_anchor(session, anchored_seq, anchored_digest)
                    if why:
                        problems.append(why)
    finally:
        db.dispose()
    if not report.ok:
        raise AuditIntegrityError(report.describe())
    if problems:
        more = f"; and {len(problems) - 20} more" if len(problems) > 20 else ""
        shown = "; ".join(problems[:20]) + more
        raise AuditIntegrityError(f"audit log and records disagree: {shown}")
    typer.echo(report.describe())
    typer.echo("records: every alert, watchlist entry and decision has its audit entry")
    if anchors:
        typer.echo(f"anchors: {len(anchors)} anchored heads match")
    typer.echo(f"head: {seq} {digest}")


def _read_anchors(path: Path) -> list[tuple[int, str]]:
    from clearsight.errors import InputError

    anchors = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"{path}: cannot read the anchor file: {error}") from error
    for number, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not parts[1].isdigit():
            raise InputError(f"{path}:{number}: expected '<time> <seq> <hash>'")
        anchors.append((int(parts[1]), parts[2]))
    return anchors


@audit_app.command("export")
@friendly_errors
def audit_export(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    out: Annotated[Path | None, typer.Option(help="CSV file to write; stdout if omitted.")] = None,
    actor: Annotated[str, typer.Option(help="Only this actor.")] = "",
    action: Annotated[str, typer.Option(help="Only this action, e.g. face_image.viewed.")] = "",
    since: Annotated[str, typer.Option(help="From this ISO time (with zone).")] = "",
    until: Annotated[str, typer.Option(help="Up to this ISO time (with zone).")] = "",
) -> None:
    """Write the audit log (oldest first) as CSV, with each entry's hashes."""
    import csv

    from clearsight.audit import CSV_HEADER, AuditAction, AuditEvent, csv_row
    from clearsight.errors import InputError
    from clearsight.store import AuditFilter, audit_log

    def when(text: str, name: str) -> datetime | None:
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError as error:
            raise InputError(f"--{name} {text!r}: not an ISO date-time") from error
        if value.tzinfo is None:
            raise InputError(f"--{name} {text!r}: give a time zone, e.g. 2026-01-01T00:00Z")
        return value

    where = AuditFilter(actor, action, "", when(since, "since"), when(until, "until"))
    db = stored_database(data_dir, database_url)
    try:
        with db.session() as session:
            entries = audit_log.search(session, where, None)
            # The export is itself an access to the log, recorded with what it held.
            audit_log.append(
                session,
                AuditEvent(
                    f"cli:{_os_user()}"[:64],
                    AuditAction.AUDIT_EXPORTED,
                    "audit",
                    "csv",
                    reason="clearsight audit export",
                    details={
                        "rows": str(len(entries)),
                        "filter": " ".join(
                            f"{k}={v}"
                            for k, v in (
                                ("actor", actor),
                                ("action", action),
                                ("since", since),
                                ("until", until),
                            )
                            if v
                        )
                        or "none",
                    },
                ),
            )
    finally:
        db.dispose()
    handle = out.open("w", newline="", encoding="utf-8") if out else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for e in reversed(entries):
            writer.writerow(csv_row(e))
    finally:
        if out:
            handle.close()
    if out:
        typer.echo(f"wrote {len(entries)} audit entries to {out}")
