"""Reading camera firmware strings well enough to compare them with advisory ranges.

Vendors write firmware in their own ways: Hikvision ``V5.4.5 build 170124`` (build date YYMMDD),
Dahua ``V2.800.0000000.25.R, Build Date: 2021-05-13``, AVTECH ``FullImg-1023-1007-1011-1009``.
A comparison that cannot be decided (a build missing on one side) answers ``None`` so the caller
can report a possible match rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_DOTTED = re.compile(r"(?<![\d.])v?(\d+(?:\.\d+)+)", re.IGNORECASE)
_DASHED = re.compile(r"(?<!\d)(\d+(?:-\d+){2,})")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_BUILD = re.compile(r"build\s*(?:date)?\s*[:=]?\s*(\d{6,8})(?!\d)", re.IGNORECASE)


@dataclass(frozen=True, order=False)
class FirmwareVersion:
    """A parsed firmware string: numeric version parts, an optional build number and build date."""

    text: str
    numbers: tuple[int, ...]
    build: int | None
    built: date | None

    @property
    def parsed(self) -> bool:
        return bool(self.numbers) or self.built is not None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _build_date(build_text: str) -> date | None:
    if len(build_text) == 6:  # Hikvision: YYMMDD
        return _safe_date(2000 + int(build_text[:2]), int(build_text[2:4]), int(build_text[4:]))
    return _safe_date(int(build_text[:4]), int(build_text[4:6]), int(build_text[6:]))


def parse_firmware(text: str) -> FirmwareVersion:
    """Parse a firmware string; parts that cannot be read are left empty, never guessed."""
    cleaned = text.strip()
    build: int | None = None
    built: date | None = None
    rest = cleaned
    build_match = _BUILD.search(cleaned)
    if build_match:
        build = int(build_match.group(1))
        built = _build_date(build_match.group(1))
        rest = cleaned[: build_match.start()] + " " + cleaned[build_match.end() :]
    iso = _ISO_DATE.search(rest)
    if iso:
        built = built or _safe_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        rest = rest[: iso.start()] + " " + rest[iso.end() :]
    elif built is None:
        compact = _COMPACT_DATE.search(rest)
        if compact:
            built = _safe_date(int(compact.group(1)), int(compact.group(2)), int(compact.group(3)))
    numbers: tuple[int, ...] = ()
    dotted = _DOTTED.search(rest)
    dashed = _DASHED.search(rest)
    if dotted:
        numbers = tuple(int(part) for part in dotted.group(1).split("."))
    elif dashed:
        numbers = tuple(int(part) for part in dashed.group(1).split("-"))
    return FirmwareVersion(text=cleaned, numbers=numbers, build=build, built=built)


def compare_firmware(left: FirmwareVersion, right: FirmwareVersion) -> int | None:
    """-1, 0 or 1 as ``left`` is older, equal or newer; None when it cannot be decided.

    Versions compare part by part (missing parts count as zero). When versions are equal the
    builds decide; a bound without a build matches every build of its version, while a firmware
    without a build against a bound with one is undecidable.
    """
    if not left.numbers or not right.numbers:
        return None
    width = max(len(left.numbers), len(right.numbers))
    left_parts = left.numbers + (0,) * (width - len(left.numbers))
    right_parts = right.numbers + (0,) * (width - len(right.numbers))
    if left_parts != right_parts:
        return -1 if left_parts < right_parts else 1
    if right.build is None:
        return 0
    if left.build is None:
        return None
    return (left.build > right.build) - (left.build < right.build)
