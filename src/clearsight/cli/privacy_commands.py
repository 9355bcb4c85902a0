"""Privacy commands: encryption keys, video redaction, signage and the privacy assessment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearsight.cli._app import app, friendly_errors

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
