"""The sink types: every module of ``clearsight.notify.sinks``, found, not listed.

Each module defines one ``SinkConfig`` subclass whose ``type`` is a literal; the config's
union of sink entries (discriminated by ``type``) is built from them, and each entry opens
its own sink (``SinkConfig.open``), so a new sink is one new module and nothing else in the
code.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from clearsight.notify import sinks
from clearsight.notify._sink import SinkConfig


def _config_class_of(module: ModuleType) -> type[SinkConfig]:
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, SinkConfig)
        and value.__module__ == module.__name__
    ]
    if len(found) != 1:
        raise TypeError(
            f"{module.__name__} must define exactly one SinkConfig subclass, not {len(found)}"
        )
    return found[0]


def _type_of(config_class: type[SinkConfig]) -> str:
    default = config_class.model_fields["type"].default
    if not isinstance(default, str):
        raise TypeError(f"{config_class.__name__}.type needs a literal default, its type name")
    return default


@cache
def sink_types() -> dict[str, type[SinkConfig]]:
    """Sink type name -> its settings class, for every module in ``clearsight.notify.sinks``."""
    registry: dict[str, type[SinkConfig]] = {}
    for info in sorted(pkgutil.iter_modules(sinks.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        config_class = _config_class_of(importlib.import_module(f"{sinks.__name__}.{info.name}"))
        name = _type_of(config_class)
        if name in registry:
            raise TypeError(
                f"sink type {name!r} is claimed by {registry[name].__module__} and "
                f"{config_class.__module__}"
            )
        registry[name] = config_class
    return registry


if TYPE_CHECKING:
    AnySinkConfig = SinkConfig
else:
    # Built from the registry: the union of every sink type's settings, told apart by `type`.
    AnySinkConfig = Annotated[
        Union[tuple(sink_types().values())],  # noqa: UP007  # a runtime-built union
        Field(discriminator="type"),
    ]
