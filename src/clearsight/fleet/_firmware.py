"""Reading camera firmware strings well enough to compare them with advisory ranges.

Vendors write firmware in their own ways, and each way needs its own reading:

- Hikvision ``V5.4.5 build 170124``: the build is a date, YYMMDD (some tools print YYYYMMDD).
- Dahua ``V2.800.0000000.25.R, Build Date: 2021-05-13`` or ``2.800.0000000.29.R.210630``:
  ``.R.YYMMDD`` is the build date; Amcrest (Dahua-made) writes ``.R.20200217``.
- Reolink ``v3.0.0.136_20121102``: the suffix is YYMMDD plus a two-digit build of that day
  (2020-12-11, build 02), not YYYYMMDD. Only the vendor tells the two apart, so the caller
  passes ``style="yymmddnn"`` for Reolink.
- AVTECH ``FullImg-1023-1007-1011-1009``, D-Link ``2.60B15``.

A build date in the future (``build 991231`` would be 2099) is not a date at all. A comparison
that cannot be decided answers ``None`` so the caller can report a possible match, not a guess.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

FirmwareStyle = Literal["auto", "yymmddnn"]
Part = int | str

_DOTTED = re.compile(r"(?<![0-9.])(\d+(?:\.[0-9a-z]+)+)", re.IGNORECASE)
_DASHED = re.compile(r"(?<![\d.])(\d+(?:-\d+){2,})")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_BUILD = re.compile(r"build\s*(?:date)?\s*[:=]?\s*(\d{6}|\d{8})(?!\d)", re.IGNORECASE)
_DAHUA_BUILD = re.compile(r"\.R\.(\d{6}|\d{8})(?![\d.])", re.IGNORECASE)
_RELEASE_MARK = re.compile(r"\.R(?![0-9a-z])", re.IGNORECASE)
_DAY_BUILD = re.compile(r"_(\d{2})(\d{2})(\d{2})(\d{2})(?!\d)")
_TOKENS = re.compile(r"\d+|[a-z]+")
_EARLIEST = date(2000, 1, 1)  # no IP camera firmware predates this


@dataclass(frozen=True)
class FirmwareVersion:
    """A parsed firmware string: version parts (numbers, or letters such as Amcrest's ``ac``),
    an optional build number with its digit count, and the build date where one is known."""

    text: str
    numbers: tuple[Part, ...]
    build: int | None
    built: date | None
    build_digits: int = 0

    @property
    def parsed(self) -> bool:
        return bool(self.numbers) or self.built is not None


@functools.cache
def _today() -> date:
    return date.today()  # once per process: a build date is checked against it, not a clock


def _plausible(year: int, month: int, day: int) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if _EARLIEST <= found <= _today() else None


def _build_date(digits: str) -> date | None:
    if len(digits) == 6:  # YYMMDD
        return _plausible(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    return _plausible(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def _parts(version: str) -> tuple[Part, ...]:
    # "2.60B15" -> (2, 60, "b", 15); "2.420.AC00.18" -> (2, 420, "ac", 0, 18)
    parts: list[Part] = []
    for token in _TOKENS.findall(version.lower()):
        parts.append(int(token) if token.isdigit() else token)
    return tuple(parts)


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end() :]


@functools.lru_cache(maxsize=65536)
def parse_firmware(text: str, style: FirmwareStyle = "auto") -> FirmwareVersion:
    """Parse a firmware string; parts that cannot be read are left empty, never guessed.

    Cached: a fleet repeats the same few firmware strings."""
    cleaned = text.strip()
    rest = cleaned
    build: int | None = None
    digits = 0
    built: date | None = None
    for pattern in (_BUILD, _DAHUA_BUILD):
        found = pattern.search(rest)
        if found:
            build, digits = int(found.group(1)), len(found.group(1))
            built = _build_date(found.group(1))
            rest = _cut(rest, found)
            break
    if build is None and style == "yymmddnn":
        day_build = _DAY_BUILD.search(rest)
        if day_build:
            year, month, day, _ = (int(group) for group in day_build.groups())
            build, digits = int("".join(day_build.groups())), 8
            built = _plausible(2000 + year, month, day)
            rest = _cut(rest, day_build)
    iso = _ISO_DATE.search(rest)
    if iso:
        built = built or _plausible(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        rest = _cut(rest, iso)
    elif built is None:
        compact = _COMPACT_DATE.search(rest)
        if compact:
            built = _plausible(int(compact.group(1)), int(compact.group(2)), int(compact.group(3)))
            rest = _cut(rest, compact)
    rest = _RELEASE_MARK.sub(" ", rest)
    numbers: tuple[Part, ...] = ()
    dotted = _DOTTED.search(rest)
    dashed = _DASHED.search(rest)
    if dotted:
        numbers = _parts(dotted.group(1))
    elif dashed:
        numbers = tuple(int(part) for part in dashed.group(1).split("-"))
    return FirmwareVersion(
        text=cleaned, numbers=numbers, build=build, built=built, build_digits=digits
    )


def _order(left: Part, right: Part) -> int | None:
    if isinstance(left, int) and isinstance(right, int):
        return (left > right) - (left < right)
    if isinstance(left, str) and isinstance(right, str) and left == right:
        return 0
    return None  # letters against numbers, or different letters: no order is known


def _compare_parts(left: tuple[Part, ...], right: tuple[Part, ...]) -> int | None:
    width = max(len(left), len(right))
    padded_left = left + (0,) * (width - len(left))
    padded_right = right + (0,) * (width - len(right))
    for one, other in zip(padded_left, padded_right, strict=True):
        order = _order(one, other)
        if order != 0:
            return order
    return 0


def compare_firmware(left: FirmwareVersion, right: FirmwareVersion) -> int | None:
    """-1, 0 or 1 as ``left`` is older, equal or newer; None when it cannot be decided.

    Versions compare part by part (missing parts count as zero). When versions are equal the
    builds decide: by build date where both have one, else by build number where both have
    the same number of digits (a 6-digit and an 8-digit build are never compared as integers).
    A bound without a build matches every build of its version, while a firmware without a
    build against a bound with one is undecidable.
    """
    if not left.numbers or not right.numbers:
        return None
    order = _compare_parts(left.numbers, right.numbers)
    if order != 0:
        return order
    if right.build is None and right.built is None:
        return 0
    by_number = _build_order(left, right)
    if left.built is not None and right.built is not None:
        if left.built != right.built:
            return -1 if left.built < right.built else 1
        return 0 if by_number is None else by_number  # same day: the build of the day decides
    if (left.built is None) != (right.built is None):
        return None  # a dated build against an undated one: no common scale
    return by_number


def _build_order(left: FirmwareVersion, right: FirmwareVersion) -> int | None:
    """Builds as numbers, only when both have one of the same width."""
    if left.build is None or right.build is None or left.build_digits != right.build_digits:
        return None
    return (left.build > right.build) - (left.build < right.build)
