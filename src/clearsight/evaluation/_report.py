"""Self-contained HTML reports (figures embedded, no scripts, no CDN) and JSON files."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clearsight.errors import InputError

__all__ = ["Figure", "Report", "Table", "write_json", "write_report", "write_text_file"]

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ report.title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; } pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; }
.note { color: #444; }
</style></head><body>
<h1>{{ report.title }}</h1>
{% for paragraph in report.notes %}<p class="note">{{ paragraph }}</p>{% endfor %}
{% for table in report.tables %}
<h2>{{ table.caption }}</h2>
<table><thead><tr>{% for h in table.header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in table.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% endfor %}
{% for figure in report.figures %}
<figure><img alt="{{ figure.caption }}" src="data:image/png;base64,{{ figure.png_base64 }}">
<figcaption>{{ figure.caption }}</figcaption></figure>
{% endfor %}
<details><summary>All figures as JSON</summary><pre>{{ data }}</pre></details>
</body></html>
"""


@dataclass(frozen=True)
class Table:
    caption: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Figure:
    caption: str
    png_base64: str


@dataclass(frozen=True)
class Report:
    title: str
    data: dict[str, object]
    notes: Sequence[str] = ()
    tables: Sequence[Table] = ()
    figures: Sequence[Figure] = field(default_factory=list)


def _clean(value: object) -> object:
    """JSON without NaN or infinity (they become null), keys as strings."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def to_json(data: dict[str, object]) -> str:
    return json.dumps(_clean(data), indent=2, sort_keys=False, allow_nan=False)


def write_text_file(path: Path, text: str) -> None:
    """Write an output file, creating its folder; a path that cannot be written is an
    ``InputError`` naming it, never a traceback."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write the report ({error.strerror or error})") from error


def write_json(path: Path, data: dict[str, object]) -> None:
    write_text_file(path, to_json(data) + "\n")


def write_report(path: Path, report: Report) -> None:
    from jinja2 import Environment

    environment = Environment(autoescape=True)
    html = environment.from_string(_TEMPLATE).render(report=report, data=to_json(report.data))
    write_text_file(path, html)
