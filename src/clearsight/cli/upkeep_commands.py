"""Store upkeep commands: ``clearsight keys rotate`` and ``clearsight retention run``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from clearsight.cli._app import app, friendly_errors
from clearsight.cli._options import (
    ConfigFile,
    DatabaseUrl,
    DataDir,
    deployment,
    storage_flags,
    stored_database,
)
from clearsight.cli.privacy_commands import keys_app

retention_app = typer.Typer(
    help="The retention policy: delete what is no longer needed.", no_args_is_help=True
)
app.add_typer(retention_app, name="retention")


def cli_actor() -> str:
    """Who the audit log names for a command run on the host: ``cli:<login name>``."""
    import getpass

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name for this uid (containers)
        name = "unknown"
    return f"cli:{name}"[:64]


@keys_app.command("rotate")
@friendly_errors
def keys_rotate(
    data_dir: DataDir = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Key file whose first key becomes the key of every blob (older keys in it "
            "are used to read); else $CLEARSIGHT_KEY or $CLEARSIGHT_KEY_FILE.",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Re-encrypt every stored face image and template under the active key.

    Safe to interrupt: each blob is swapped on its own, every blob stays readable with the
    old or the new key, and running it again finishes the rest.
    """
    from clearsight.crypto import BlobCipher, load_key_ring
    from clearsight.store import rotate_store

    cipher = BlobCipher(load_key_ring(key_file))
    db = stored_database(data_dir, database_url)
    try:
        report = rotate_store(db, cipher, cli_actor())
    finally:
        db.dispose()
    typer.echo(
        f"active key {report.active_key_id}: {report.examined} blobs examined, "
        f"{report.reencrypted} re-encrypted, {report.already_current} already current, "
        f"{report.changed_meanwhile} changed meanwhile"
    )
    if not report.complete:
        typer.echo("some blobs changed during the pass: run it again", err=True)
    elif report.reencrypted == 0:
        typer.echo("every blob is under the active key; older keys may now be retired")


@retention_app.command("run")
@friendly_errors
def retention_run(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what is due; delete nothing.")
    ] = False,
) -> None:
    """Delete what the retention policy says is due now (each deletion audit-logged)."""
    from clearsight.service import open_existing_database
    from clearsight.store import run_retention

    settings = deployment(config, storage_flags(data_dir, database_url))
    policy = settings.retention
    db = open_existing_database(settings.service)
    try:
        result = run_retention(db, policy, datetime.now(UTC), cli_actor(), dry_run=dry_run)
    finally:
        db.dispose()
    verb = "would" if dry_run else "did"
    done = set(result.done)
    for item in result.plan.deletions:
        record = item.record
        skipped = not dry_run and record.record_id not in done
        note = " (skipped: changed since planned)" if skipped else ""
        typer.echo(
            f"{verb} {item.action.value} {record.kind.value} {record.record_id}: "
            f"{item.reason}{note}"
        )
    for item in result.plan.held:
        typer.echo(f"held {item.record.kind.value} {item.record.record_id}: on hold, kept")
    count = len(result.plan) if dry_run else len(done)
    summary = "due" if dry_run else "acted on"
    typer.echo(
        f"{count} records {summary}; {len(result.plan.held)} held"
        + (" (dry run: nothing deleted)" if dry_run else "")
    )
