"""Scale-out commands: ``clearsight worker`` and ``clearsight cluster status|consume|...``."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clearsight.cli._app import app, friendly_errors

if TYPE_CHECKING:
    from clearsight.crypto import BlobCipher
    from clearsight.service import DeploymentConfig

cluster_app = typer.Typer(help="Scale-out on NATS JetStream.", no_args_is_help=True)
app.add_typer(cluster_app, name="cluster")

Nats = Annotated[
    str | None,
    typer.Option("--nats", help="NATS server URL(s), comma-separated [config: cluster.nats_url]."),
]
Namespace = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        help="Prefix of the cluster's buckets, stream and subjects [config: cluster.namespace].",
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Deployment config; its [cluster] section says how to reach NATS."
    ),
]
KeyFile = Annotated[
    Path | None,
    typer.Option("--key-file", help="Key ring file (else $CLEARSIGHT_KEY / $CLEARSIGHT_KEY_FILE)."),
]


def _settings(config: Path | None, nats: str | None, namespace: str | None) -> DeploymentConfig:
    """The deployment config of ``config`` with the ``--nats`` and ``--namespace`` given."""
    from clearsight.cli._options import deployment, flags

    given = flags(
        ("cluster.nats_url", "--nats", nats), ("cluster.namespace", "--namespace", namespace)
    )
    return deployment(config, given)


def _cipher(key_file: Path | None) -> BlobCipher:
    from clearsight.crypto import BlobCipher, load_key_ring

    return BlobCipher(load_key_ring(key_file))


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
@friendly_errors
def worker(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Deployment config: its pipeline sections run the real cameras and its "
            "[cluster] section says how to reach NATS; the flags given override it.",
        ),
    ] = None,
    nats: Annotated[
        str | None,
        typer.Option(
            "--nats",
            help="NATS server URL(s), comma-separated [config: cluster.nats_url].",
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            help="Prefix of the cluster's buckets, stream and subjects [config: cluster.namespace].",
        ),
    ] = None,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Holds the alert buffer and watchlist copies.")
    ] = Path("clearsight-worker"),
    key_file: KeyFile = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on this port (0: any free one).")
    ] = None,
    simulate: Annotated[
        Path | None,
        typer.Option(help="Run simulated cameras from this data file (`cluster sim-data`)."),
    ] = None,
    track_every: Annotated[
        float, typer.Option(help="Simulated cameras: mean seconds between tracks.")
    ] = 30.0,
    buffer_alerts: Annotated[
        int | None,
        typer.Option(
            help="Most alerts buffered on disk while NATS is unreachable [config: cluster.outbox_max_alerts]."
        ),
    ] = None,
    dead_after: Annotated[
        float | None,
        typer.Option(
            help="Seconds without a heartbeat before a worker counts as dead [config: cluster.dead_after_s]."
        ),
    ] = None,
    fence_after: Annotated[
        float | None,
        typer.Option(
            help="Stop cameras after this many seconds cut off from NATS [config: "
            "cluster.fence_after_s]."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Join the cluster: lease cameras, match at the edge, publish alerts."""
    from clearsight.cli._options import deployment, flags
    from clearsight.cluster import (
        WorkerSettings,
        pipeline_runner,
        run_worker,
        simulated_runner,
    )

    _logging(verbose)
    given = flags(
        ("cluster.nats_url", "--nats", nats),
        ("cluster.namespace", "--namespace", namespace),
        ("cluster.outbox_max_alerts", "--buffer-alerts", buffer_alerts),
        ("cluster.dead_after_s", "--dead-after", dead_after),
        ("cluster.fence_after_s", "--fence-after", fence_after),
    )
    settings = deployment(config, given).cluster  # a bad file or flag stops here
    cipher = _cipher(key_file)
    runner = simulated_runner(simulate, track_every) if simulate else pipeline_runner(config)
    run_worker(settings, WorkerSettings(data_dir, metrics_port=metrics_port), cipher, runner)


@cluster_app.command()
@friendly_errors
def status(
    config: ConfigFile = None,
    nats: Nats = None,
    namespace: Namespace = None,
    cameras: Annotated[bool, typer.Option(help="List each worker's camera ids.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Workers, their cameras, rate, lag, buffer and last error."""
    from rich.console import Console
    from rich.table import Table

    from clearsight.cluster import read_status

    settings = _settings(config, nats, namespace).cluster
    state = asyncio.run(read_status(settings))
    if as_json:
        print(
            json.dumps(
                {
                    "cameras": state.cameras,
                    "unassigned": state.unassigned,
                    "stream_messages": state.stream_messages,
                    "consumer_pending": state.consumer_pending,
                    "workers": [
                        {
                            **w.heartbeat.model_dump(mode="json"),
                            "age_s": round(w.age_s, 1),
                            "leases": w.leases,
                            "alive": w.alive,
                        }
                        for w in state.workers
                    ],
                    "errors": list(state.errors),
                },
                indent=2,
            )
        )
        return
    table = Table(
        title=f"{len(state.workers)} workers, {state.cameras} cameras "
        f"({state.unassigned} unassigned)"
    )
    for column in (
        "worker",
        "state",
        "cameras",
        "rate/s",
        "lag s",
        "alerts",
        "buffered",
        "overflow",
        "last error",
    ):
        table.add_column(column)
    for w in state.workers:
        beat = w.heartbeat
        listed = str(len(beat.cameras))
        if cameras:
            listed += "\n" + ", ".join(beat.cameras)
        table.add_row(
            beat.worker_id,
            "up" if w.alive else f"silent {w.age_s:.0f}s",
            listed,
            f"{beat.rate:.1f}",
            f"{beat.lag_s:.2f}",
            str(beat.alerts),
            str(beat.buffered),
            str(beat.overflow),
            beat.last_error[:60],
        )
    console = Console()
    console.print(table)
    pending = "no consumer yet" if state.consumer_pending is None else state.consumer_pending
    console.print(
        f"alert stream: {state.stream_messages} messages; waiting to be stored: {pending}"
    )
    for error in state.errors:
        console.print(f"[red]{error}[/red]")


@cluster_app.command()
@friendly_errors
def consume(
    dsn: Annotated[str, typer.Option("--dsn", help="PostgreSQL connection string.")],
    config: ConfigFile = None,
    nats: Nats = None,
    namespace: Namespace = None,
    schema: Annotated[str, typer.Option(help="PostgreSQL schema of the alerts table.")] = (
        "clearsight_cluster"
    ),
    key_file: KeyFile = None,
    metrics_port: Annotated[int | None, typer.Option(help="Prometheus metrics port.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Store alerts from the stream in PostgreSQL, acknowledging each after its commit."""
    from clearsight.cluster import run_consumer

    _logging(verbose)
    settings = _settings(config, nats, namespace).cluster
    cipher = _cipher(key_file)
    counters = run_consumer(settings, dsn, cipher, schema, metrics_port)
    print(
        f"stored {counters.stored}, duplicates {counters.duplicates}, rejected {counters.rejected}"
    )


@cluster_app.command("add-cameras")
@friendly_errors
def add_cameras(
    file: Annotated[Path, typer.Argument(help="JSON lines: camera_id, site, source, enabled.")],
    config: ConfigFile = None,
    nats: Nats = None,
    namespace: Namespace = None,
) -> None:
    """Add or change cameras; the workers pick them up from the bucket."""
    from clearsight.cluster import CameraSpec, connect, ensure_cluster, parse_wire, put_cameras
    from clearsight.errors import InputError

    settings = _settings(config, nats, namespace).cluster
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"{file}: cannot read ({error.strerror})") from error
    specs = [
        parse_wire(CameraSpec, line.encode(), f"{file}:{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]

    async def main() -> None:
        nc = await connect(settings, name="clearsight-admin")
        try:
            await put_cameras(await ensure_cluster(nc.jetstream(timeout=5), settings), specs)
        finally:
            await nc.close()

    asyncio.run(main())
    print(f"{len(specs)} cameras written")


@cluster_app.command("watchlist")
@friendly_errors
def publish_watchlist(
    site: Annotated[str, typer.Argument(help="Site the watchlist applies to.")],
    watchlist: Annotated[Path, typer.Argument(help="Watchlist file (`clearsight enroll`).")],
    model_id: Annotated[
        str | None,
        typer.Option(help="Embedding model of the templates; default: the configured embedder's."),
    ] = None,
    config: ConfigFile = None,
    nats: Nats = None,
    namespace: Namespace = None,
    key_file: KeyFile = None,
) -> None:
    """Publish a site's approved watchlist (encrypted) to the workers that serve it."""
    from clearsight.cluster import (
        WatchlistEntry,
        check_name,
        connect,
        ensure_cluster,
        put_watchlist,
    )
    from clearsight.service import configured_model_id
    from clearsight.watchlist import WatchlistFile

    deployment = _settings(config, nats, namespace)
    settings = deployment.cluster
    model_id = model_id or configured_model_id(deployment.pipeline)
    cipher = _cipher(key_file)
    check_name(site, "site")
    with WatchlistFile(watchlist) as held:
        gallery = held.gallery(model_id)
    entries = [
        WatchlistEntry(gallery.subject_ids[int(s)], gallery.subject_names[int(s)], row)
        for row, s in zip(gallery.templates, gallery.row_subject, strict=True)
    ]

    async def main() -> int:
        nc = await connect(settings, name="clearsight-admin")
        try:
            buckets = await ensure_cluster(nc.jetstream(timeout=5), settings)
            return await put_watchlist(buckets, settings, site, model_id, entries, cipher)
        finally:
            await nc.close()

    revision = asyncio.run(main())
    print(f"site {site}: {len(gallery)} subjects, {len(entries)} templates (revision {revision})")


@cluster_app.command(
    "scale-test", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def scale_test(
    ctx: typer.Context,
) -> None:
    """The scale test (see `python -m clearsight.cluster.scale_test --help`)."""
    from clearsight.cluster.scale_test import main

    raise typer.Exit(code=main(list(ctx.args)))
