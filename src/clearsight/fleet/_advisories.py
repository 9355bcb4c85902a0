"""Matching a camera's model and firmware against advisory ranges, and telling for each match
whether the CVE is in CISA's KEV catalog (and since when) apart from exploitation reported
elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from clearsight.fleet._catalog import AdvisoryEntry, AffectedRange, Catalog
from clearsight.fleet._firmware import (
    FirmwareStyle,
    FirmwareVersion,
    compare_firmware,
    parse_firmware,
)

Certainty = Literal["yes", "no", "unknown"]


@dataclass(frozen=True)
class AdvisoryMatch:
    """One advisory that applies to a camera; ``certain`` is False when the firmware could not
    be compared (the model is affected, the firmware may or may not be)."""

    id: str
    title: str
    in_kev: bool
    kev_date_added: date | None
    kev_ransomware: str | None
    exploitation_reported: str | None
    fixed_firmware: str | None
    source: str
    url: str | None
    certain: bool
    basis: str
    reason: str
    cpe: tuple[str, ...]
    nvd_last_modified: str | None

    @property
    def known_exploited(self) -> bool:
        """In KEV, or exploitation reported by another public source."""
        return self.in_kev or self.exploitation_reported is not None


@dataclass(frozen=True)
class _CompiledRange:
    patterns: tuple[re.Pattern[str], ...]
    introduced: FirmwareVersion | None
    last_affected: FirmwareVersion | None
    fixed: FirmwareVersion | None
    spec: AffectedRange


def _compile(spec: AffectedRange, style: FirmwareStyle) -> _CompiledRange:
    def bound(text: str | None) -> FirmwareVersion | None:
        return parse_firmware(text, style) if text else None

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
    if not compiled.spec.firmware_known:
        return "unknown"
    bounded = (compiled.introduced, compiled.last_affected, compiled.fixed)
    if all(bound is None for bound in bounded) and compiled.spec.built_before is None:
        return "yes"  # every firmware of the model is affected (end of life, no fix)
    if not firmware.parsed:
        return "unknown"
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
    """Advisories grouped by the vendor they are filed under, patterns compiled once; firmware
    bounds are read in the style of the vendor whose firmware it is."""

    def __init__(self, catalog: Catalog) -> None:
        vendors = {vendor.id: vendor for vendor in catalog.vendors}
        self._catalog = catalog
        self._by_vendor: dict[str, list[tuple[AdvisoryEntry, tuple[_CompiledRange, ...]]]] = {}
        for advisory in catalog.advisories:
            if advisory.withdrawn:
                continue
            entry = vendors.get(advisory.vendor)
            maker = vendors.get(entry.made_by) if entry and entry.made_by else None
            owner = maker or entry
            style: FirmwareStyle = owner.firmware_style if owner else "auto"
            ranges = tuple(_compile(spec, style) for spec in advisory.affected)
            self._by_vendor.setdefault(advisory.vendor, []).append((advisory, ranges))
        self._model_cache: dict[
            tuple[str, str], tuple[tuple[AdvisoryEntry, tuple[_CompiledRange, ...]], ...]
        ] = {}

    def match(
        self,
        vendor_ids: tuple[str, ...],
        model: str,
        firmware: str,
        style: FirmwareStyle = "auto",
    ) -> tuple[AdvisoryMatch, ...]:
        """Advisories filed under any of ``vendor_ids`` (the label and its maker) whose model
        pattern matches and whose range includes (or may include) the firmware, by id."""
        if not vendor_ids or not model.strip():
            return ()
        model_text = model.strip()
        parsed = parse_firmware(firmware, style)
        found: dict[str, AdvisoryMatch] = {}
        for vendor_id in dict.fromkeys(vendor_ids):
            for advisory, ranges in self._for_model(vendor_id, model_text):
                answer, spec = _best(ranges, parsed)
                if answer == "no" or spec is None or advisory.id in found:
                    continue
                found[advisory.id] = self._describe(advisory, spec, certain=answer == "yes")
        return tuple(found[key] for key in sorted(found))

    def _for_model(
        self, vendor_id: str, model: str
    ) -> tuple[tuple[AdvisoryEntry, tuple[_CompiledRange, ...]], ...]:
        """The vendor's advisories with the ranges whose model patterns match; a fleet repeats
        models far more than firmware, so this is worked out once per model."""
        key = (vendor_id, model)
        cached = self._model_cache.get(key)
        if cached is None:
            cached = tuple(
                (advisory, matching)
                for advisory, ranges in self._by_vendor.get(vendor_id, [])
                if (
                    matching := tuple(
                        compiled
                        for compiled in ranges
                        if any(pattern.fullmatch(model) for pattern in compiled.patterns)
                    )
                )
            )
            self._model_cache[key] = cached
        return cached

    def _describe(
        self, advisory: AdvisoryEntry, spec: AffectedRange, certain: bool
    ) -> AdvisoryMatch:
        kev = self._catalog.kev_entry(advisory.id)
        return AdvisoryMatch(
            id=advisory.id,
            title=advisory.title,
            in_kev=kev is not None,
            kev_date_added=kev.dateAdded if kev else None,
            kev_ransomware=kev.knownRansomwareCampaignUse if kev else None,
            exploitation_reported=advisory.exploitation_reported,
            fixed_firmware=advisory.fixed_firmware,
            source=advisory.source,
            url=advisory.url,
            certain=certain,
            basis=spec.basis,
            reason=spec.reason,
            cpe=spec.cpe,
            nvd_last_modified=spec.nvd_last_modified,
        )


def _best(
    ranges: tuple[_CompiledRange, ...], firmware: FirmwareVersion
) -> tuple[Certainty, AffectedRange | None]:
    """Of the ranges whose models match: any that surely includes the firmware wins; else any
    undecidable one makes it unknown."""
    best: Certainty = "no"
    best_spec: AffectedRange | None = None
    for compiled in ranges:
        answer = _in_range(compiled, firmware)
        if answer == "yes":
            return "yes", compiled.spec
        if answer == "unknown" and best == "no":
            best, best_spec = "unknown", compiled.spec
    return best, best_spec
