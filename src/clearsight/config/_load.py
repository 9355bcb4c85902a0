from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import ValidationError

from clearsight.config._models import ClearsightConfig
from clearsight.errors import ConfigError


def load_config(path: Path | None) -> ClearsightConfig:
    """Read a TOML or JSON file and validate it; ``None`` gives the defaults."""
    if path is None:
        return ClearsightConfig()
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
    try:
        return ClearsightConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from error
