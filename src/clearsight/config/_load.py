from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clearsight.config._models import ClearsightConfig
from clearsight.errors import ConfigError
from clearsight.models import CONFIG_DIR


def read_config_file(path: Path) -> dict[str, Any]:
    """The table a TOML or JSON config file holds, before any validation."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config: {error.strerror}") from error
    try:
        raw = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(
            f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {error}"
        ) from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a table of settings")
    return raw


DEPLOYMENT_SECTIONS = frozenset({"service", "review", "retention", "notify", "privacy", "cluster"})
"""The sections a deployment file (``clearsight.service.DeploymentConfig``) holds besides the
pipeline's; the pipeline commands leave them to the service's loader, which checks them."""


def load_config(path: Path | None) -> ClearsightConfig:
    """Read the pipeline sections of a TOML or JSON file and validate them; ``None`` gives
    the defaults."""
    if path is None:
        return ClearsightConfig()
    raw = read_config_file(path)
    raw = {key: value for key, value in raw.items() if key not in DEPLOYMENT_SECTIONS}
    try:
        # Relative model and card paths mean the files beside the config file.
        return ClearsightConfig.model_validate(raw, context={CONFIG_DIR: path.parent.resolve()})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from error
