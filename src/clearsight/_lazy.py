"""Module attributes imported on first use (PEP 562), for packages whose heavier parts
(OpenCV, NATS, SQLAlchemy, ReportLab) must not load with the package itself."""

from __future__ import annotations

import sys

# Not typing.TYPE_CHECKING: the root package imports this, and importing typing (or
# collections.abc) alone would triple its import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module-level ``__getattr__`` for ``package``: ``homes`` maps each lazy name to the
    module that defines it (``"_redact"`` for a submodule, or a full dotted name). The value
    is kept in the package once loaded, so the import happens once.

    Assign it under ``if not TYPE_CHECKING:``, with the names imported for type checkers
    in an ``if TYPE_CHECKING:`` block, so that a misspelt name is still a type error."""

    def module_getattr(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        import importlib  # here, not above: ``import clearsight`` stays this light

        module = home if "." in home else f"{package}.{home}"
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return module_getattr
