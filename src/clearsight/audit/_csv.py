"""Audit entries as CSV rows, safe to open in a spreadsheet."""

from __future__ import annotations

from clearsight.audit._events import ChainEntry

CSV_HEADER = (
    "seq",
    "at",
    "actor",
    "action",
    "record_type",
    "record_id",
    "reason",
    "details",
    "prev_hash",
    "hash",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    # A user-chosen value (a reason, a user name) must not run as a spreadsheet formula.
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(entry: ChainEntry) -> list[str]:
    details = ";".join(f"{k}={v}" for k, v in sorted(entry.details.items()))
    return [
        str(entry.seq),
        entry.at.isoformat(),
        _cell(entry.actor),
        entry.action,
        entry.record_type,
        _cell(entry.record_id),
        _cell(entry.reason),
        _cell(details),
        entry.prev_hash,
        entry.hash,
    ]
