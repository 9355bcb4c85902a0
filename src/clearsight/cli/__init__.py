"""The ``clearsight`` command line: thin wrappers over the library.

Each command group lives in its own module and is registered here. Errors that clearsight
raises on purpose are printed as one line naming the file and the problem, with exit code 2.
"""

from __future__ import annotations

import sys

from clearsight.cli._app import app
from clearsight.errors import ClearsightError
from clearsight.models import switch_off_telemetry_environment

__all__ = ["app", "main"]


def _register() -> None:
    # Importing a command module only defines functions; models load when a command runs.
    from clearsight.cli import (
        bench_commands,  # noqa: F401
        cluster_commands,  # noqa: F401
        config_commands,  # noqa: F401
        eval_commands,  # noqa: F401
        fleet_commands,  # noqa: F401
        pipeline_commands,  # noqa: F401
        privacy_commands,  # noqa: F401
        service_commands,  # noqa: F401
        upkeep_commands,  # noqa: F401
        watchlist_commands,  # noqa: F401
    )


def main(argv: list[str] | None = None) -> None:
    # Before any library loads, so that no native code (ONNX Runtime) reports usage; the
    # camera workers and cluster processes this command starts inherit the setting.
    switch_off_telemetry_environment()
    _register()
    try:
        app(args=argv, prog_name="clearsight", standalone_mode=True)
    except ClearsightError as error:
        print(f"clearsight: error: {error}", file=sys.stderr)
        sys.exit(2)
