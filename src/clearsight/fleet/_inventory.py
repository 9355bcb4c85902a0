"""Camera inventories: CSV or JSON in, validated records and per-line problems out.

A bad row never stops the audit: it becomes a ``RowProblem`` naming its line and the reason,
and the other rows go on. Only an unreadable file, or one whose header lacks required columns,
is an error for the whole file.

Spreadsheet exports come in several encodings and separators, so both are detected rather than
assumed: UTF-8 (with or without BOM), UTF-16 (BOM, or the NUL pattern of a BOM-less file) and
cp1252; comma, semicolon or tab separated. ``Inventory.format`` says what was found.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import socket
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clearsight.errors import InputError
from clearsight.fleet._assess import Credentials, Reachability
from clearsight.fleet._jsonlines import json_array_items

COLUMNS = (
    "name", "site", "ip", "vendor", "model", "firmware", "firmware_date", "zone", "internet",
    "credentials", "serial",
)  # fmt: skip
REQUIRED = ("name", "vendor")

_ALIASES = {
    "camera": "name", "camera_name": "name", "location": "site", "ip_address": "ip",
    "address": "ip", "manufacturer": "vendor", "make": "vendor", "brand": "vendor",
    "firmware_version": "firmware", "fw": "firmware", "build_date": "firmware_date",
    "network_zone": "zone", "network": "zone", "internet_reachable": "internet",
    "internet_access": "internet", "reachable_from_internet": "internet",
    "credentials_status": "credentials", "password_status": "credentials",
    "serial_number": "serial",
}  # fmt: skip
_INTERNET: dict[str, Reachability] = {
    "yes": "yes", "y": "yes", "true": "yes", "1": "yes", "reachable": "yes", "exposed": "yes",
    "no": "no", "n": "no", "false": "no", "0": "no", "closed": "no", "isolated": "no",
    "": "unknown", "unknown": "unknown", "?": "unknown",
}  # fmt: skip
_CREDENTIALS: dict[str, Credentials] = {
    "default": "default", "factory": "default", "factory default": "default", "admin": "default",
    "changed": "changed", "custom": "changed", "unique": "changed", "rotated": "changed",
    "strong": "changed", "": "unknown", "unknown": "unknown", "?": "unknown",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CameraRecord:
    """One valid inventory row; ``line`` is where it starts in the file."""

    name: str
    vendor: str
    line: int
    site: str = ""
    ip: str = ""
    model: str = ""
    firmware: str = ""
    firmware_date: date | None = None
    zone: str = ""
    internet: Reachability = "unknown"
    credentials: Credentials = "unknown"
    serial: str = ""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that was left out of the audit, and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class Inventory:
    """What a file held: the valid cameras and the rows that were not, and how it was read
    (``format``, e.g. "CSV, cp1252, ';'-separated")."""

    path: str
    records: tuple[CameraRecord, ...]
    problems: tuple[RowProblem, ...]
    format: str = ""


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8 with BOM"),
    (b"\xff\xfe", "utf-16", "UTF-16 LE with BOM"),
    (b"\xfe\xff", "utf-16", "UTF-16 BE with BOM"),
)
_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def decode_inventory(raw: bytes, path: Path) -> tuple[str, str]:
    """The text of an inventory and the name of the encoding it was read in."""
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec), name
            except UnicodeDecodeError:
                raise InputError(f"{path}: starts with a {name} mark but is not {name}") from None
    sample = raw[:4096]
    if len(sample) >= 4 and sample.count(0) * 3 >= len(sample):
        # ASCII text in UTF-16 without a BOM: every other byte is NUL.
        codec = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        try:
            return raw.decode(codec), codec.upper().replace("-LE", " LE").replace("-BE", " BE")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8, UTF-16 or cp1252 text") from None


def _separator(header: str) -> str:
    """The separator the header line uses most, outside quotes; comma when none is used."""
    counts = dict.fromkeys(_SEPARATORS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda key: counts[key])
    return best if counts[best] else ","


def _canonical(column: str) -> str:
    key = column.strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(key, key)


def _text(raw: Mapping[str, object], column: str) -> str:
    value = raw.get(column)
    if type(value) is str:  # the common case, first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value).strip()
    raise ValueError(f"{column} must be text, not {type(value).__name__}")


def _is_ip(text: str) -> bool:
    # inet_pton is the fast path; ipaddress also accepts scoped IPv6 (fe80::1%eth0).
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text)
        except (OSError, ValueError):
            continue
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _record(raw: Mapping[str, object], line: int) -> CameraRecord:
    """Validate one row (keys already canonical); raises ValueError with the reason."""
    values = {column: _text(raw, column) for column in COLUMNS}
    for column in REQUIRED:
        if not values[column]:
            raise ValueError(f"{column} is empty")
    if values["ip"] and not _is_ip(values["ip"]):
        raise ValueError(f"ip {values['ip']!r} is not an IP address")
    firmware_date = None
    if values["firmware_date"]:
        try:
            firmware_date = date.fromisoformat(values["firmware_date"])
        except ValueError:
            raise ValueError(
                f"firmware_date {values['firmware_date']!r} is not a date (YYYY-MM-DD)"
            ) from None
    internet = _INTERNET.get(values["internet"].lower())
    if internet is None:
        raise ValueError(f"internet {values['internet']!r} is not yes, no or unknown")
    credentials = _CREDENTIALS.get(values["credentials"].lower())
    if credentials is None:
        raise ValueError(
            f"credentials {values['credentials']!r} is not default, changed or unknown"
        )
    # Vendors, models, firmware, sites and zones repeat across a fleet: one copy of each.
    return CameraRecord(
        name=values["name"],
        vendor=sys.intern(values["vendor"]),
        line=line,
        site=sys.intern(values["site"]),
        ip=values["ip"],
        model=sys.intern(values["model"]),
        firmware=sys.intern(values["firmware"]),
        firmware_date=firmware_date,
        zone=sys.intern(values["zone"]),
        internet=internet,
        credentials=credentials,
        serial=values["serial"],
    )


def _csv_rows(
    text: str, path: Path, separator: str
) -> Iterator[tuple[int, dict[str, object] | str]]:
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path}: the file is empty") from None
    columns = [_canonical(column) for column in header]
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise InputError(f"{path}: the header has no {' or '.join(missing)} column")
    start = reader.line_num + 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                yield line, f"has {len(row)} values but the header has {len(columns)} columns"
                continue
            yield line, dict(zip(columns, row, strict=True))
    except csv.Error as error:
        raise InputError(f"{path}: line {reader.line_num}: not valid CSV: {error}") from error


def _json_rows(text: str, path: Path) -> Iterator[tuple[int, dict[str, object] | str]]:
    try:
        for line, item in json_array_items(text, key="cameras"):
            if not isinstance(item, dict):
                yield line, f"entry is a {type(item).__name__}, not an object"
                continue
            yield line, {_canonical(str(key)): value for key, value in item.items()}
    except ValueError as error:
        raise InputError(f"{path}: not a JSON inventory: {error}") from error


def read_inventory(path: Path) -> Inventory:
    """Read a ``.csv`` or ``.json`` inventory; bad rows become problems with line numbers."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputError(
            f"{path}: unsupported inventory format {suffix or '(none)'!r}; use .csv or .json"
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such inventory file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read inventory: {error.strerror}") from error
    text, encoding = decode_inventory(raw, path)
    if suffix == ".csv":
        separator = _separator(text.split("\n", 1)[0])
        rows = _csv_rows(text, path, separator)
        found = f"CSV, {encoding}, {_SEPARATORS[separator]}-separated"
    else:
        rows = _json_rows(text, path)
        found = f"JSON, {encoding}"
    records: list[CameraRecord] = []
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, str):
            problems.append(RowProblem(line, row))
            continue
        try:
            record = _record(row, line)
        except ValueError as error:
            problems.append(RowProblem(line, str(error)))
            continue
        key = record.name.casefold()
        if key in first_line:
            problems.append(
                RowProblem(line, f"name {record.name!r} repeats line {first_line[key]}")
            )
            continue
        first_line[key] = line
        records.append(record)
    return Inventory(path=str(path), records=tuple(records), problems=tuple(problems), format=found)


def _row(record: CameraRecord) -> dict[str, str]:
    values = {column: getattr(record, column) for column in COLUMNS}
    values["firmware_date"] = record.firmware_date.isoformat() if record.firmware_date else ""
    return {column: str(value) for column, value in values.items()}


def write_inventory(path: Path, records: Sequence[CameraRecord]) -> None:
    """Write records as ``.csv`` or ``.json`` (by suffix) in the columns the audit reads."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputError(
            f"{path}: unsupported inventory format {suffix or '(none)'!r}; use .csv or .json"
        )
    rows = [_row(record) for record in records]
    if suffix == ".json":
        text = json.dumps({"cameras": rows}, indent=1) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write inventory: {error.strerror}") from error
