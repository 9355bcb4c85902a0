"""``clearsight watchlist reembed``: move the service's watchlist to the configured model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearsight.cli._app import app, friendly_errors
from clearsight.cli._options import DatabaseUrl, DataDir, stored_database

watchlist_app = typer.Typer(
    help="The service's watchlist: re-embed reference photos with another model.",
    no_args_is_help=True,
)
app.add_typer(watchlist_app, name="watchlist")


@watchlist_app.command("reembed")
@friendly_errors
def reembed(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    pipeline_config: Annotated[
        Path | None,
        typer.Option(help="The pipeline config the cameras run (its detector and embedder)."),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file", help="The data key file; else $CLEARSIGHT_KEY or $CLEARSIGHT_KEY_FILE."
        ),
    ] = None,
) -> None:
    """Compute every reference photo's template with the configured model.

    The photos are kept (sealed) when entries are enrolled, so moving to a new embedder,
    such as SFace after dlib's ResNet, needs no new photos. Each change is audit-logged; a
    photo the new model cannot use keeps its old template and is listed. Run it again at
    any time: it does only what is left.
    """
    from clearsight.cli.upkeep_commands import cli_actor
    from clearsight.config import load_config
    from clearsight.ingest import decode_image
    from clearsight.service import configured_enrolment, configured_model_id
    from clearsight.store import configured_cipher, reembed_watchlist
    from clearsight.types import Embedding

    config = load_config(pipeline_config)
    enroll = configured_enrolment(config)
    cipher = configured_cipher(key_file)

    def embed_photo(data: bytes, name: str) -> Embedding:
        return enroll(decode_image(data, name), name).embedding

    model_id = configured_model_id(config)
    db = stored_database(data_dir, database_url)
    try:
        report = reembed_watchlist(db, cipher, model_id, embed_photo, cli_actor())
    finally:
        db.dispose()
    for photo_id, why in sorted(report.failed.items()):
        typer.echo(f"kept the old template of photo {photo_id}: {why}", err=True)
    typer.echo(
        f"{report.model_id}: {report.examined} reference photos, {report.reembedded} "
        f"re-embedded, {report.already_current} already of this model, "
        f"{len(report.failed)} left as they were"
    )
    if report.failed:
        raise typer.Exit(1)
