from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer

from clearsight.errors import ClearsightError

app = typer.Typer(
    name="clearsight",
    help="Accountable face recognition for CCTV.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Not rich markup: in help texts "[privacy]" names a config section, it is no style tag.
    rich_markup_mode="markdown",
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("clearsight")
        except PackageNotFoundError:  # run from a source tree that was not installed
            number = "unknown (not installed)"
        typer.echo(f"clearsight {number}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Accountable face recognition for CCTV."""


P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Turn a ClearsightError into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except ClearsightError as error:
            print(f"clearsight: error: {error}", file=sys.stderr)
            raise typer.Exit(code=2) from None

    return wrapper
