"""Matching a camera's model and firmware against advisory ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from clearsight.fleet._catalog import AdvisoryEntry, AffectedRange, Catalog
from clearsight.fleet._firmware import FirmwareVersion, compare_firmware, parse_firmware

Certainty = Literal["yes", "no", "unknown"]


@dataclass(frozen=True)
class AdvisoryMatch:
    """One advisory that applies to a camera; ``certain`` is False when the firmware could not
    be compared (the model is affected, the firmware may or may not be)."""

    id: str
    title: str
    known_exploited: bool
    fixed_firmware: str | None
    source: str
    url: str | None
    certain: bool


@dataclass(frozen=True)
class _CompiledRange:
    patterns: tuple[re.Pattern[str], ...]
    introduced: FirmwareVersion | None
    last_affected: FirmwareVersion | None
    fixed: FirmwareVersion | None
    spec: AffectedRange


def _compile(spec: AffectedRange) -> _CompiledRange:
    def bound(text: str | None) -> FirmwareVersion | None:
        return parse_firmware(text) if text else None

    return _CompiledRange(
        patterns=tuple(re.compile(pattern, re.IGNORECASE) for pattern in spec.models),
        introduced=bound(spec.introduced),
        last_affected=bound(spec.last_affected),
        fixed=bound(spec.fixed),
        spec=spec,
    )


def _all(answers: list[Certainty]) -> Certainty:
    if "no" in answers:
        return "no"
    return "unknown" if "unknown" in answers else "yes"


def _in_range(compiled: _CompiledRange, firmware: FirmwareVersion) -> Certainty:
    answers: list[Certainty] = []
    for bound, accept in (
        (compiled.introduced, (0, 1)),
        (compiled.last_affected, (-1, 0)),
        (compiled.fixed, (-1,)),
    ):
        if bound is None:
            continue
        order = compare_firmware(firmware, bound)
        answers.append("unknown" if order is None else "yes" if order in accept else "no")
    if compiled.spec.built_before is not None:
        if firmware.built is None:
            answers.append("unknown")
        else:
            answers.append("yes" if firmware.built < compiled.spec.built_before else "no")
    return _all(answers)


class AdvisoryIndex:
    """Advisories grouped by the vendor whose firmware they affect, patterns compiled once."""

    def __init__(self, catalog: Catalog) -> None:
        self._by_vendor: dict[str, list[tuple[AdvisoryEntry, tuple[_CompiledRange, ...]]]] = {}
        for advisory in catalog.advisories:
            if advisory.withdrawn:
                continue
            ranges = tuple(_compile(spec) for spec in advisory.affected)
            self._by_vendor.setdefault(advisory.vendor, []).append((advisory, ranges))

    def match(self, vendor_id: str | None, model: str, firmware: str) -> tuple[AdvisoryMatch, ...]:
        """Advisories whose model pattern matches and whose firmware range includes (or may
        include) the firmware, sorted by id."""
        if vendor_id is None or not model.strip():
            return ()
        model_text = model.strip()
        parsed = parse_firmware(firmware)
        found: list[AdvisoryMatch] = []
        for advisory, ranges in self._by_vendor.get(vendor_id, []):
            answer = _all_or_any(ranges, model_text, parsed)
            if answer == "no":
                continue
            found.append(
                AdvisoryMatch(
                    id=advisory.id,
                    title=advisory.title,
                    known_exploited=advisory.known_exploited,
                    fixed_firmware=advisory.fixed_firmware,
                    source=advisory.source,
                    url=advisory.url,
                    certain=answer == "yes",
                )
            )
        return tuple(sorted(found, key=lambda match: match.id))


def _all_or_any(
    ranges: tuple[_CompiledRange, ...], model: str, firmware: FirmwareVersion
) -> Certainty:
    """Any range that surely matches wins; else any undecidable one makes it unknown."""
    best: Certainty = "no"
    for compiled in ranges:
        if not any(pattern.fullmatch(model) for pattern in compiled.patterns):
            continue
        answer = _in_range(compiled, firmware) if firmware.parsed else "unknown"
        if answer == "yes":
            return "yes"
        if answer == "unknown":
            best = "unknown"
    return best
