"""Privacy commands: encryption keys, video redaction, signage and the privacy assessment."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clearsight.cli._app import app, friendly_errors
from clearsight.cli._options import DatabaseUrl, DataDir, deployment, storage_flags

keys_app = typer.Typer(
    help="Encryption keys for data at rest (kept in a key file, never in the database).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


@keys_app.command("generate")
@friendly_errors
def keys_generate(
    out: Annotated[Path, typer.Option("--out", help="Key file to create (readable by you only).")],
) -> None:
    """Create a new key file holding one fresh AES-256 key."""
    from clearsight.crypto import KeyRing, new_key, write_key_file

    ring = KeyRing((new_key(),))
    write_key_file(out, ring)
    typer.echo(f"wrote {out} (mode 0600) with active key {ring.active.key_id}")


@keys_app.command("add")
@friendly_errors
def keys_add(
    key_file: Annotated[Path, typer.Argument(help="Existing key file.")],
) -> None:
    """Put a fresh key in front as the active key, keeping older keys for reading.

    Then re-encrypt the data under the new key (`clearsight keys rotate`); drop an old key
    from the file only after a rotation pass re-encrypted nothing.
    """
    from clearsight.crypto import new_key, read_key_file, write_key_file

    ring = read_key_file(key_file).with_new_active(new_key())
    write_key_file(key_file, ring, replace=True)
    kept = ", ".join(ring.key_ids[1:])
    typer.echo(f"{key_file}: active key is now {ring.active.key_id}; kept {kept}")


@keys_app.command("list")
@friendly_errors
def keys_list(
    key_file: Annotated[Path, typer.Argument(help="Key file.")],
) -> None:
    """Show the key ids in a key file (never the keys themselves)."""
    from clearsight.crypto import read_key_file

    ring = read_key_file(key_file)
    for index, key_id in enumerate(ring.key_ids):
        typer.echo(f"{key_id}\t{'active' if index == 0 else 'decrypt only'}")


class DetectorChoice(StrEnum):
    HOG = "hog"
    CNN = "cnn"


class StyleChoice(StrEnum):
    # Mirrors clearsight.privacy.RedactionStyle without importing OpenCV when the CLI starts.
    PIXELATE = "pixelate"
    BLUR = "blur"


@app.command("redact")
@friendly_errors
def redact(
    video: Annotated[Path, typer.Argument(help="Video to redact.")],
    out: Annotated[Path, typer.Option("--out", help="Redacted H.264 video to write.")],
    keep_track: Annotated[
        int | None,
        typer.Option("--keep-track", help="Leave this track's face clear (ids from a first run)."),
    ] = None,
    detector: Annotated[
        DetectorChoice, typer.Option("--detector", help="hog (fast) or cnn (finds more, slow).")
    ] = DetectorChoice.HOG,
    upsample: Annotated[
        int, typer.Option("--upsample", min=0, max=3, help="Finds smaller faces; slower.")
    ] = 1,
    style: Annotated[
        StyleChoice, typer.Option("--style", help="How faces are hidden.")
    ] = StyleChoice.PIXELATE,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace OUT if it exists.")
    ] = False,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Search each redacted frame again.")
    ] = True,
    hide_background: Annotated[
        bool,
        typer.Option(
            "--hide-background",
            help="Hide everything but the kept face (bystanders the detector misses too).",
        ),
    ] = False,
    cnn_every: Annotated[
        int,
        typer.Option(
            "--cnn-every",
            min=0,
            help="Also run the CNN detector on every Nth frame to catch turned faces (0: off).",
        ),
    ] = 0,
) -> None:
    """Hide every face in a video (for releasing footage), except one track if asked."""
    from rich.progress import Progress

    from clearsight.config import CnnDetectorConfig, HogDetectorConfig
    from clearsight.detect import create_detector
    from clearsight.errors import VideoError
    from clearsight.privacy import (
        RedactionSettings,
        RedactionStyle,
        VideoRedactionOptions,
        redact_video,
    )

    if out.exists() and not overwrite:
        raise VideoError(f"{out}: already exists (pass --overwrite to replace it)")
    cnn = CnnDetectorConfig(upsample=upsample, min_face_size=8)
    hog = HogDetectorConfig(upsample=upsample, min_face_size=8)
    config = cnn if detector is DetectorChoice.CNN else hog
    options = VideoRedactionOptions(
        keep_track=keep_track,
        hide_background=hide_background,
        verify=verify,
        second_every=max(cnn_every, 1),
        settings=RedactionSettings(style=RedactionStyle(style.value)),
    )
    second = create_detector(cnn) if cnn_every else None
    with Progress(transient=True) as bar:
        task = bar.add_task(f"redacting {video.name}", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        result = redact_video(
            video, out, create_detector(config), options, second_detector=second, progress=advance
        )
    typer.echo(f"wrote {result.output}: {result.frames} frames, {result.faces_hidden} faces hidden")
    for track in result.tracks:
        state = "kept clear" if track.track_id == keep_track else "hidden"
        typer.echo(
            f"  track {track.track_id}: frames {track.first_frame}-{track.last_frame} "
            f"({track.frames_detected} detected), first seen at {track.first_box} - {state}"
        )
    if keep_track is not None and not result.kept:
        typer.echo(f"warning: track {keep_track} never appeared; every face was hidden", err=True)


PrivacyConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file with a [privacy] section. The deployment config: its [retention] "
        "periods are the ones the service applies.",
    ),
]
OutDirOption = Annotated[Path, typer.Option("--out-dir", help="Folder to write HTML and PDF to.")]


@app.command("notice")
@friendly_errors
def notice(config: PrivacyConfigFile = None, out_dir: OutDirOption = Path(".")) -> None:
    """Render the printable A4 sign (PDF and HTML) that tells people face recognition is in
    use, with the [privacy] section and the [retention] periods the service applies."""
    from clearsight.privacy import build_notice, write_document

    settings = deployment(config, {})
    html, pdf = write_document(
        build_notice(settings.privacy, settings.retention), out_dir, "notice"
    )
    typer.echo(f"wrote {pdf} and {html}")


@app.command("assessment")
@friendly_errors
def assessment(
    config: PrivacyConfigFile = None,
    eval_json: Annotated[
        list[Path] | None,
        typer.Option(
            "--eval-json",
            help="JSON from `clearsight eval lfw`, `eval fairness` or `plan` (repeatable).",
        ),
    ] = None,
    out_dir: OutDirOption = Path("."),
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Draft the privacy impact assessment (HTML and PDF) from config and measured figures."""
    import datetime as dt

    from clearsight.privacy import build_assessment, read_evaluation_outputs, write_document
    from clearsight.service import open_existing_database
    from clearsight.store import accounts

    settings = deployment(config, storage_flags(data_dir, database_url))
    figures = read_evaluation_outputs(eval_json or [])
    admins = None
    if data_dir or database_url:  # the assessment states the install's administrators
        db = open_existing_database(settings.service)
        try:
            with db.read_session() as session:
                admins = len(accounts.approved_admins(session))
        finally:
            db.dispose()
    document = build_assessment(
        settings.privacy, settings.retention, figures, dt.date.today(), admins
    )
    html, pdf = write_document(document, out_dir, "assessment")
    typer.echo(f"wrote {pdf} and {html}")
