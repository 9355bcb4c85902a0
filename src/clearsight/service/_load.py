"""One loader for the deployment config: a file, command-line flags over it, defaults under.

``load_deployment_config`` reads the file (TOML or JSON), lays the flags a command was
given over it, and validates the result once, so a value set by a flag passes the same
checks as one from the file. ``explain_config`` says, for every setting, where its value
came from: the model's default, the file, or a flag.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from clearsight.config import ClearsightConfig, read_config_file
from clearsight.errors import ConfigError
from clearsight.models import CONFIG_DIR
from clearsight.service._settings import DEPLOYMENT_DIR, DeploymentConfig

Source = Literal["default", "file", "flag"]


@dataclass(frozen=True)
class FlagValue:
    """A value given on the command line for a config key, and the flag that gave it."""

    flag: str
    value: object


Overrides = Mapping[str, FlagValue]
"""Dotted config keys (``service.port``) and the flags that set them."""


@dataclass(frozen=True)
class EffectiveSetting:
    key: str
    value: object
    source: Source
    detail: str
    """The file's path or the flag's name; empty for a default."""


def _is_legacy(raw: Mapping[str, Any]) -> bool:
    privacy = raw.get("privacy")
    return isinstance(privacy, dict) and "retention" in privacy


def _legacy_privacy_retention(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """Files written for the privacy commands kept the retention policy in
    ``[privacy.retention]``; it is the deployment's ``[retention]`` now (one place)."""
    if not _is_legacy(raw):
        return raw
    if "retention" in raw:
        raise ConfigError(
            f"{path}: retention is set twice ([retention] and [privacy.retention]); keep "
            "only [retention]"
        )
    raw = dict(raw)
    privacy = dict(raw["privacy"])
    raw["retention"] = privacy.pop("retention")
    raw["privacy"] = privacy
    return raw


def _set(table: dict[str, Any], key: str, value: object) -> None:
    *parents, leaf = key.split(".")
    for part in parents:
        child = table.get(part)
        if not isinstance(child, dict):
            child = table[part] = {}
        table = child
    table[leaf] = value


def _file_table(path: Path | None, pipeline_file: Path | None) -> dict[str, Any]:
    raw = _legacy_privacy_retention(read_config_file(path), path) if path else {}
    if pipeline_file is not None:
        # A pipeline-only file (the older --pipeline-config) gives the pipeline sections.
        pipeline = read_config_file(pipeline_file)
        extra = set(pipeline) - set(ClearsightConfig.model_fields)
        if extra:
            raise ConfigError(
                f"{pipeline_file}: only pipeline sections belong here, not {sorted(extra)}"
            )
        raw = {k: v for k, v in raw.items() if k not in ClearsightConfig.model_fields}
        raw.update(pipeline)
    return raw


def _merged(
    path: Path | None, overrides: Overrides, pipeline_file: Path | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    from_file = _file_table(path, pipeline_file)
    merged = copy.deepcopy(from_file)
    for key, given in overrides.items():
        # A path on the command line means one from the working directory, not the file's.
        _set(merged, key, given.value.resolve() if isinstance(given.value, Path) else given.value)
    return from_file, merged


def load_deployment_config(
    path: Path | None = None,
    overrides: Overrides | None = None,
    *,
    pipeline_file: Path | None = None,
) -> DeploymentConfig:
    """The validated config of ``path`` (defaults without) with ``overrides`` laid over it;
    a ConfigError names the file and key, or the flag, of the first problem."""
    overrides = overrides or {}
    _, merged = _merged(path, overrides, pipeline_file)
    # Relative model and card paths mean the files beside the file that names them.
    anchor = pipeline_file or path
    context = {CONFIG_DIR: anchor.parent.resolve()} if anchor else {}
    if path is not None:
        context[DEPLOYMENT_DIR] = path.parent.resolve()
    try:
        return DeploymentConfig.model_validate(merged, context=context)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        for key, given in overrides.items():
            if _within(where, key):
                raise ConfigError(f"{given.flag}: {first['msg']}") from error
        origin = _origin(where, path, pipeline_file)
        if path is not None and _within(where, "retention") and _is_legacy(read_config_file(path)):
            where = f"privacy.{where}"  # named as the file wrote it
        key = f"{where}: " if where else ""
        raise ConfigError(f"{origin or 'config'}: {key}{first['msg']}") from error


def _origin(key: str, path: Path | None, pipeline_file: Path | None) -> Path | None:
    """The file a key's value comes from: the pipeline file for pipeline sections, if any."""
    if pipeline_file is not None and key.split(".")[0] in ClearsightConfig.model_fields:
        return pipeline_file
    return path


def _leaves(value: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from _leaves(child, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _given(table: Mapping[str, Any], key: str) -> bool:
    node: object = table
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def explain_config(
    path: Path | None = None,
    overrides: Overrides | None = None,
    *,
    pipeline_file: Path | None = None,
) -> list[EffectiveSetting]:
    """Every effective setting (dotted key, value) and where it came from."""
    overrides = overrides or {}
    config = load_deployment_config(path, overrides, pipeline_file=pipeline_file)
    from_file, _ = _merged(path, {}, pipeline_file)
    settings = []
    for key, value in _leaves(config.model_dump(mode="json")):
        flag = next((g.flag for k, g in overrides.items() if _within(key, k)), None)
        if flag is not None:
            settings.append(EffectiveSetting(key, value, "flag", flag))
        elif _given(from_file, key):
            origin = _origin(key, path, pipeline_file)
            settings.append(EffectiveSetting(key, value, "file", str(origin)))
        else:
            settings.append(EffectiveSetting(key, value, "default", ""))
    return settings


def _within(key: str, given: str) -> bool:
    return key == given or key.startswith(given + ".")
