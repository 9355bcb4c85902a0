"""``clearsight config example`` and ``config reference``: every setting of
``DeploymentConfig``, as a commented TOML file (each value its default, each comment the
field's title and description) and as the Markdown tables of docs/configuration.md, both
generated from the model so that neither can fall behind it."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator

from pydantic import BaseModel

from clearsight.service._settings import DeploymentConfig

WIDTH = 92


def _comment(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"no TOML form for {value!r}")


def _table(model: BaseModel, path: str) -> Iterator[str]:
    dumped = model.model_dump(mode="json")
    fields = type(model).model_fields
    sections = []
    for name, field in fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            sections.append((name, field.title or name, field.description or "", value))
            continue
        yield from _comment(f"{field.title}: {field.description}")
        if dumped[name] is None:
            yield f"# {name} =    (unset)"
        else:
            yield f"{name} = {_toml_value(dumped[name])}"
    for name, title, description, value in sections:
        child = f"{path}.{name}" if path else name
        yield ""
        yield from _comment(f"{title}: {description}")
        yield f"[{child}]"
        yield from _table(value, child)


def example_config() -> str:
    """A complete, commented deployment config holding every default."""
    header = [
        "# clearsight deployment config (`clearsight config example`): every setting with its",
        "# default. Keep the lines you change; `clearsight config check FILE` shows the result.",
    ]
    return "\n".join([*header, *_table(DeploymentConfig(), "")]) + "\n"


def _sections(model: BaseModel, path: str) -> Iterator[tuple[str, str, BaseModel]]:
    """(dotted path, description, section) of every table below ``model``, depth first."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            child = f"{path}.{name}" if path else name
            yield child, f"{field.title}: {field.description}", value
            yield from _sections(value, child)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def config_reference() -> str:
    """Markdown: one table per section with each key, its default and its meaning."""
    lines: list[str] = []
    for path, about, section in _sections(DeploymentConfig(), ""):
        dumped = section.model_dump(mode="json")
        rows = [
            (name, dumped[name], field)
            for name, field in type(section).model_fields.items()
            if not isinstance(getattr(section, name), BaseModel)
        ]
        lines += [f"### `[{path}]`", "", _cell(about), ""]
        if not rows:
            continue
        lines += ["| key | default | meaning |", "|---|---|---|"]
        for name, value, field in rows:
            default = "unset" if value is None else f"`{_toml_value(value)}`"
            meaning = _cell(f"**{field.title}.** {field.description}")
            lines.append(f"| `{name}` | {_cell(default)} | {meaning} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
