"""Options several commands share, and how given flags become config overrides.

A flag's default is None ("not given"), so that only the flags a user typed lay over the
``--config`` file; the defaults themselves live in the config models, once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from clearsight.service import DeploymentConfig, FlagValue
    from clearsight.store import Database

ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Deployment config (TOML or JSON; `clearsight config example` writes one); the "
        "flags given override it.",
    ),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Service data directory holding the SQLite database [config: service.data_dir].",
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="PostgreSQL URL instead of SQLite in the data dir [config: service.database_url].",
    ),
]


def flags(*given: tuple[str, str, object]) -> dict[str, FlagValue]:
    """``(config key, flag, value)`` of each option; those left at None were not given."""
    from clearsight.service import FlagValue

    return {key: FlagValue(flag, value) for key, flag, value in given if value is not None}


def storage_flags(data_dir: Path | None, database_url: str | None) -> dict[str, FlagValue]:
    return flags(
        ("service.data_dir", "--data-dir", data_dir),
        ("service.database_url", "--database-url", database_url),
    )


def deployment(
    config: Path | None, given: dict[str, FlagValue], pipeline_file: Path | None = None
) -> DeploymentConfig:
    from clearsight.service import load_deployment_config

    return load_deployment_config(config, given, pipeline_file=pipeline_file)


def stored_database(data_dir: Path | None, database_url: str | None) -> Database:
    """The service's existing database named by the storage flags (or their defaults)."""
    from clearsight.service import open_existing_database

    return open_existing_database(deployment(None, storage_flags(data_dir, database_url)).service)
