"""How stored values are shown to people: one time zone (UTC, said on the page) and words
instead of raw codes such as ``pending_approval``."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment

from clearsight.web._schemas import within_storable_range

# Codes whose plain wording is not just the code with spaces.
_LABELS = {
    "pending_approval": "Pending approval",
    "privacy_officer": "Privacy officer",
    "repeated_serious_theft": "Repeated serious theft",
    "court_order": "Court order",
    "missing_person": "Missing person",
    "backoff": "Error, restarting",
    "reconnecting": "Reconnecting",
    "confirm": "Confirm",
    "reject": "Reject",
    "unsure": "Unsure",
}


def label(value: object) -> str:
    """``pending_approval`` -> ``Pending approval``; unknown codes get the same treatment."""
    text = str(getattr(value, "value", value) or "")
    return _LABELS.get(text) or text.replace("_", " ").capitalize()


def utc_time(value: datetime | None, precision: str = "seconds") -> str:
    """A time as ``2026-06-01 12:00:05 UTC`` (``minutes`` or ``date`` for shorter forms)."""
    if value is None:
        return ""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    pattern = {"seconds": "%Y-%m-%d %H:%M:%S UTC", "minutes": "%Y-%m-%d %H:%M UTC"}.get(
        precision, "%Y-%m-%d"
    )
    return value.strftime(pattern)


def install(environment: Environment) -> None:
    """Register the filters on a Jinja2 environment."""
    environment.filters["label"] = label
    environment.filters["utc"] = utc_time


def parse_when(text: str) -> datetime | None:
    """A bound typed in a filter form: empty is no bound; a date is its midnight; a time
    without a zone is UTC. ValueError says what is wrong."""
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or time; write it as 2026-06-01 or 2026-06-01T14:30"
        ) from None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return within_storable_range(value)  # year 1 with an offset would overflow later
