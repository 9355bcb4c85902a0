"""Service commands: ``clearsight serve`` and ``clearsight audit verify|export``."""

from __future__ import annotations

import errno
import socket
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clearsight.cli._app import app, friendly_errors

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from clearsight.config import ClearsightConfig
    from clearsight.web._context import EnrolledFaceLike, EnrollFunction

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="Service data directory (holds the SQLite database).")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="PostgreSQL URL instead of SQLite in the data dir."),
]


@app.command()
@friendly_errors
def serve(
    data_dir: DataDir = Path("clearsight-data"),
    host: Annotated[str, typer.Option(help="Address to bind; keep 127.0.0.1 unless needed.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    database_url: DatabaseUrl = None,
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="Encrypt face data at rest with this key.")
    ] = None,
    allow_unencrypted: Annotated[
        bool,
        typer.Option(
            "--allow-unencrypted",
            help="Start without an encryption key, storing face images and templates in clear "
            "(for trials only).",
        ),
    ] = False,
    webhook_url: Annotated[
        str | None, typer.Option(help="POST confirmed alerts to this URL.")
    ] = None,
    mqtt_host: Annotated[
        str | None, typer.Option(help="Publish confirmed alerts to this MQTT broker.")
    ] = None,
    mqtt_port: Annotated[int, typer.Option(help="MQTT broker port.")] = 1883,
    mqtt_topic: Annotated[
        str, typer.Option(help="Topic the confirmed alerts are published to.")
    ] = "clearsight/alerts/confirmed",
    mqtt_user: Annotated[str | None, typer.Option(help="MQTT broker user name.")] = None,
    mqtt_password: Annotated[
        str | None,
        typer.Option(
            envvar="CLEARSIGHT_MQTT_PASSWORD",
            help="MQTT password (better given as $CLEARSIGHT_MQTT_PASSWORD).",
        ),
    ] = None,
    mqtt_tls: Annotated[
        bool, typer.Option("--mqtt-tls", help="Connect to the broker with TLS.")
    ] = False,
    mqtt_ca_file: Annotated[
        Path | None, typer.Option(help="CA certificate (PEM) the broker's is checked against.")
    ] = None,
    ha_discovery: Annotated[
        bool,
        typer.Option(
            "--ha-discovery",
            help="Announce confirmed alerts to Home Assistant (MQTT discovery, retained).",
        ),
    ] = False,
    confirmations: Annotated[
        int, typer.Option(help="Distinct reviewers needed to confirm an alert.")
    ] = 2,
    cameras: Annotated[
        bool,
        typer.Option(
            "--cameras/--no-cameras", help="Run a worker process for each enabled camera."
        ),
    ] = True,
    pipeline_config: Annotated[
        Path | None,
        typer.Option(
            help="TOML or JSON pipeline config the camera workers run (defaults without)."
        ),
    ] = None,
    demo_camera: Annotated[
        bool,
        typer.Option(
            help="Add a camera replaying the synthetic demo clip (built in the data dir)."
        ),
    ] = False,
    nats: Annotated[
        str | None,
        typer.Option(
            "--nats",
            help="NATS server URL(s): store the cluster's alerts for review and publish each "
            "site's approved watchlist to its workers (needs an encryption key).",
        ),
    ] = None,
    nats_namespace: Annotated[
        str, typer.Option(help="Cluster namespace (as given to `clearsight worker`).")
    ] = "clearsight",
    nats_model: Annotated[
        str | None,
        typer.Option(
            help="Embedding model of the templates published to workers; defaults to the "
            "model the pipeline config names."
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="Address of a reverse proxy whose X-Forwarded-For/-Proto headers are "
            "believed (repeatable). Without it those headers are ignored, so the sign-in "
            "limiter and the audit log see the real peer address.",
        ),
    ] = None,
    audit_anchor: Annotated[
        Path | None,
        typer.Option(
            "--audit-anchor",
            help="Append the audit chain head to this file on each upkeep round (keep it "
            "off the database host); `audit verify --anchor` checks the chain against it.",
        ),
    ] = None,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Mark the session and sign-in cookies Secure (serve behind TLS).",
        ),
    ] = False,
) -> None:
    """Run the web service; on first start print the one-time set-up link."""
    import contextlib

    import uvicorn

    from clearsight.config import load_config
    from clearsight.notify import NotifyConfig
    from clearsight.web import Hooks, ServiceSettings, create_app, prepare
    from clearsight.web._services import ingest
    from clearsight.workers import CameraRuntime, ensure_demo_camera

    settings = ServiceSettings(
        data_dir=data_dir,
        host=host,
        port=port,
        database_url=database_url,
        key_file=key_file,
        required_confirmations=confirmations,
        secure_cookies=secure_cookies,
        audit_anchor_file=audit_anchor,
        notify=NotifyConfig(
            webhook_url=webhook_url,
            mqtt_host=mqtt_host,
            mqtt_port=mqtt_port,
            mqtt_topic=mqtt_topic,
            mqtt_username=mqtt_user,
            mqtt_password=mqtt_password,
            mqtt_tls=mqtt_tls,
            mqtt_ca_file=mqtt_ca_file,
            home_assistant_discovery=ha_discovery,
        ),
    )
    camera_config = load_config(pipeline_config)  # a bad file stops here, before anything runs
    settings = settings.model_copy(
        update={
            "match_target_fmr": camera_config.match.target_fmr,
            "match_rule": camera_config.match.rule,
            "match_model_id": _configured_model_id(camera_config),
        }
    )
    _require_key(key_file, allow_unencrypted)  # before anything is created
    cluster = _cluster_setup(nats, nats_namespace, key_file) if nats else None
    listener = _listen(host, port)  # a busy port stops here, before any set-up link exists
    setup_link = prepare(settings)
    typer.echo(f"clearsight service on {settings.base_url()}/")
    if setup_link:
        typer.echo(f"first start: create the admin at {setup_link}")
    app = create_app(settings, Hooks(enroll=_enrolment(camera_config)))
    ctx = app.state.clearsight
    if demo_camera:
        camera = ensure_demo_camera(ctx.db, data_dir)
        typer.echo(f"demo camera: {camera.source} (looped)")
    sys.stdout.flush()
    runtime = CameraRuntime(
        ctx.db,
        lambda camera_id, alert: ingest(ctx, alert, (), camera_id),
        camera_config,
        cipher=ctx.cipher,
    )
    link = _cluster_link(ctx, cluster, nats_model or _configured_model_id(camera_config))
    with (
        runtime if cameras else contextlib.nullcontext(),
        link if link is not None else contextlib.nullcontext(),
    ):
        config = uvicorn.Config(
            app,
            log_level="warning",
            proxy_headers=bool(trusted_proxy),
            # Uvicorn believes forwarded headers from 127.0.0.1 by default; here only from
            # the proxies named, so a local client cannot claim another address.
            forwarded_allow_ips=list(trusted_proxy or []),
        )
        uvicorn.Server(config).run(sockets=[listener])


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


def _configured_model_id(config: ClearsightConfig) -> str:
    """The model id of the embedder the config names (nothing is loaded to learn it)."""
    from clearsight.embed import create_embedder

    return create_embedder(config.embed).model_id


def _enrolment(config: ClearsightConfig) -> EnrollFunction:
    """The service's enrolment with the pipeline config's detector and embedder, so its
    templates are of the model the cameras run (an ONNX embedder file included)."""
    from clearsight.detect import create_enrollment_detector
    from clearsight.embed import create_embedder
    from clearsight.enrollment import enroll_face

    embedder = create_embedder(config.embed)
    detector = create_enrollment_detector(config.detector)

    def enroll(image: npt.NDArray[np.uint8], name: str) -> EnrolledFaceLike:
        return enroll_face(image, name, detector=detector, embedder=embedder)

    return enroll


def _cluster_setup(nats: str, namespace: str, key_file: Path | None):  # type: ignore[no-untyped-def]
    """The cluster's settings and the key ring its workers share, checked before anything
    starts; the service cannot join the cluster without the key."""
    from clearsight.cli.cluster_commands import _config
    from clearsight.crypto import BlobCipher, load_key_ring
    from clearsight.errors import ConfigError, CryptoError

    config = _config(nats, namespace)
    try:
        return config, BlobCipher(load_key_ring(key_file))
    except CryptoError as error:
        raise ConfigError(
            f"--nats needs the cluster's encryption key (--key-file or $CLEARSIGHT_KEY): {error}"
        ) from error


def _cluster_link(ctx, cluster, model_id: str):  # type: ignore[no-untyped-def]
    """The link to the cluster when ``--nats`` is given: alerts in, watchlists out."""
    if cluster is None:
        return None
    from clearsight.web import ClusterLink

    config, cluster_cipher = cluster
    link = ClusterLink(ctx.db, ctx.cipher, ctx.now, config, cluster_cipher, model_id)
    ctx.on_watchlist_change = link.publish_watchlists
    typer.echo(
        f"cluster: alerts from {config.nats_url} (namespace {config.namespace}) enter the "
        "review queue"
    )
    return link


def _require_key(key_file: Path | None, allow_unencrypted: bool) -> None:
    """Refuse to serve without an encryption key unless told to; a bad key file stops here."""
    from clearsight.errors import ConfigError
    from clearsight.store import IdentityCipher, configured_cipher

    if isinstance(configured_cipher(key_file), IdentityCipher) and not allow_unencrypted:
        raise ConfigError(
            "no encryption key: face images and templates would be stored unencrypted; pass "
            "--key-file FILE (make one with `clearsight keys generate --out FILE`), set "
            "$CLEARSIGHT_KEY or $CLEARSIGHT_KEY_FILE, or pass --allow-unencrypted to accept it"
        )


def _database(data_dir: Path, database_url: str | None):  # type: ignore[no-untyped-def]
    from clearsight.errors import StoreError
    from clearsight.store import SQLITE_FILE_NAME, Database

    if database_url:
        return Database(database_url)
    if not (data_dir / SQLITE_FILE_NAME).is_file():
        raise StoreError(f"{data_dir}: no clearsight database here ({SQLITE_FILE_NAME} missing)")
    return Database.for_data_dir(data_dir)


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "unknown"


@audit_app.command("verify")
@friendly_errors
def audit_verify(
    data_dir: DataDir = Path("clearsight-data"),
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
    from clearsight.store import audit_log

    anchors = _read_anchors(anchor) if anchor else []
    db = _database(data_dir, database_url)
    try:
        with db.session() as session:
            report = audit_log.verify(session)
            problems = audit_log.verify_records(session) if report.ok else []
            for seq, digest in anchors:
                why = audit_log.check_anchor(session, seq, digest)
                if why:
                    problems.append(why)
            seq, digest = audit_log.head(session)
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
    data_dir: DataDir = Path("clearsight-data"),
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
    from clearsight.store import audit_log
    from clearsight.store._audit_log import AuditFilter

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
    db = _database(data_dir, database_url)
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
