from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from clearsight.errors import ClearsightError

app = typer.Typer(
    name="clearsight",
    help="Accountable face recognition for CCTV.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

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
