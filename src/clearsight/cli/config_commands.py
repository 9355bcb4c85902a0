"""``clearsight config check|example``: the deployment config as the commands read it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearsight.cli._app import app, friendly_errors

config_app = typer.Typer(
    help="The deployment config file: check it, or write a commented example.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")


def _parse_set(items: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs; VALUE is read as a TOML value, else taken as text."""
    import tomllib

    from clearsight.errors import ConfigError

    parsed: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. service.port=8081")
        try:
            value: object = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        parsed[key.strip()] = value
    return parsed


@config_app.command("check")
@friendly_errors
def check(
    file: Annotated[Path | None, typer.Argument(help="Deployment config (TOML or JSON).")] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUE laid over the file as a command-line flag would be (repeatable), "
            "e.g. --set service.port=8081.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Validate the file and print every effective setting with where it came from
    (default, file or flag)."""
    import json

    from clearsight.service import FlagValue, explain_config

    overrides = {
        key: FlagValue(f"--set {key}", value) for key, value in _parse_set(set_values or []).items()
    }
    settings = explain_config(file, overrides)
    if as_json:
        rows = [
            {"key": s.key, "value": s.value, "source": s.source, "from": s.detail} for s in settings
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    width = max(len(s.key) for s in settings)
    for setting in settings:
        origin = setting.source + (f" ({setting.detail})" if setting.detail else "")
        typer.echo(f"{setting.key:<{width}}  {json.dumps(setting.value)}  [{origin}]")
    changed = sum(1 for s in settings if s.source != "default")
    typer.echo(f"{file or 'no file'}: valid; {changed} of {len(settings)} settings set")


@config_app.command("example")
@friendly_errors
def example(
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write; stdout if omitted.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace OUT if it exists.")] = (
        False
    ),
) -> None:
    """Write a complete deployment config: every setting at its default, each explained."""
    from clearsight.errors import InputError
    from clearsight.service import example_config

    text = example_config()
    if out is None:
        typer.echo(text, nl=False)
        return
    if out.exists() and not overwrite:
        raise InputError(f"{out}: already exists (pass --overwrite to replace it)")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{out}: cannot write ({error.strerror})") from error
    typer.echo(f"wrote {out}")


@config_app.command("reference")
def reference() -> None:
    """Print the Markdown reference of every setting (docs/configuration.md holds it)."""
    from clearsight.service import config_reference

    typer.echo(config_reference(), nl=False)
