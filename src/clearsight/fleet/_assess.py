"""One camera's assessment: vendor coverage, matching advisories, exposure and a risk score."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Literal

from clearsight.fleet._advisories import AdvisoryIndex, AdvisoryMatch
from clearsight.fleet._catalog import Catalog, shipped_catalog
from clearsight.fleet._firmware import parse_firmware
from clearsight.fleet._options import AuditOptions
from clearsight.fleet._vendors import Coverage, VendorIndex, VendorMatch

Reachability = Literal["yes", "no", "unknown"]
Credentials = Literal["default", "changed", "unknown"]


@dataclass(frozen=True)
class CameraAssessment:
    """What the audit concludes about one camera, with the reasons behind its risk score."""

    vendor_input: str
    vendor: VendorMatch
    model: str
    firmware: str
    advisories: tuple[AdvisoryMatch, ...]
    possible_advisories: tuple[AdvisoryMatch, ...]
    internet: Reachability
    credentials: Credentials
    firmware_built: date | None
    firmware_age_days: int | None
    firmware_outdated: bool | None
    risk: int
    level: str
    reasons: tuple[str, ...]
    points: int  # the uncapped sum behind ``risk``; breaks ties among cameras at 100

    @property
    def covered(self) -> bool:
        return self.vendor.covered

    @property
    def coverage(self) -> Coverage:
        return self.vendor.coverage

    @property
    def advisory_ids(self) -> tuple[str, ...]:
        return tuple(advisory.id for advisory in self.advisories)


@dataclass(frozen=True)
class _Exposure:
    internet: Reachability
    credentials: Credentials
    outdated: bool | None


class Assessor:
    """Assesses cameras against one catalog with one set of options; reuse it for a fleet."""

    def __init__(self, catalog: Catalog, options: AuditOptions) -> None:
        self.catalog = catalog
        self.options = options
        self._vendors = VendorIndex(catalog.vendors)
        self._advisories = AdvisoryIndex(catalog)
        # Identical inputs give the identical (frozen) assessment; a fleet repeats them a lot.
        self._cache: dict[tuple[object, ...], CameraAssessment] = {}

    def assess(
        self,
        vendor: str,
        model: str,
        firmware: str,
        *,
        internet: Reachability = "unknown",
        credentials: Credentials = "unknown",
        firmware_date: date | None = None,
    ) -> CameraAssessment:
        key = (vendor, model, firmware, internet, credentials, firmware_date)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._assess(vendor, model, firmware, internet, credentials, firmware_date)
            self._cache[key] = cached
        return cached

    def _assess(
        self,
        vendor: str,
        model: str,
        firmware: str,
        internet: Reachability,
        credentials: Credentials,
        firmware_date: date | None,
    ) -> CameraAssessment:
        match = self._vendors.match(vendor)
        origin = self._vendors.entry(match.origin_id) if match.origin_id else None
        style = origin.firmware_style if origin else "auto"
        # Advisories filed under the label (an OEM's own CVE) and under its maker both apply.
        vendor_ids = tuple(key for key in (match.vendor_id, match.made_by_id) if key)
        found = self._advisories.match(vendor_ids, model, firmware, style)
        built = firmware_date or parse_firmware(firmware, style).built
        age = (self.options.audit_date() - built).days if built else None
        outdated = None if age is None else age > self.options.firmware_max_age_days
        certain = tuple(advisory for advisory in found if advisory.certain)
        possible = tuple(advisory for advisory in found if not advisory.certain)
        exposure = _Exposure(internet=internet, credentials=credentials, outdated=outdated)
        points, reasons = self._score(match, certain, possible, exposure, age)
        risk = min(100, points)
        return CameraAssessment(
            vendor_input=vendor,
            vendor=match,
            model=model,
            firmware=firmware,
            advisories=certain,
            possible_advisories=possible,
            internet=internet,
            credentials=credentials,
            firmware_built=built,
            firmware_age_days=age,
            firmware_outdated=outdated,
            risk=risk,
            level=self.options.levels.level(risk),
            reasons=tuple(reasons),
            points=points,
        )

    def _score(
        self,
        vendor: VendorMatch,
        certain: tuple[AdvisoryMatch, ...],
        possible: tuple[AdvisoryMatch, ...],
        exposure: _Exposure,
        age: int | None,
    ) -> tuple[int, list[str]]:
        weights = self.options.weights
        reasons: list[tuple[int, str]] = []
        if vendor.coverage == "covered":
            made = f" (made by {vendor.made_by})" if vendor.made_by else ""
            reasons.append(
                (weights.covered, f"{vendor.name}{made} is covered by {' and '.join(vendor.basis)}")
            )
        elif vendor.coverage == "possible":
            maker = vendor.made_by or "a covered maker"
            reasons.append(
                (
                    weights.possibly_covered,
                    f"{vendor.name}: some products were made by {maker}; check this model",
                )
            )
        for position, advisory in enumerate(certain):
            base = weights.exploited_advisory if advisory.known_exploited else weights.advisory
            points = base if position == 0 else weights.extra_advisory
            reasons.append(
                (points, f"{advisory.id}{exploitation_note(advisory)}: {advisory.title}")
            )
        if possible:
            ids = ", ".join(f"{advisory.id}{exploitation_note(advisory)}" for advisory in possible)
            reasons.append(
                (
                    weights.possible_advisory if not certain else weights.extra_advisory,
                    f"model listed for {ids}; firmware could not be compared",
                )
            )
        if exposure.internet == "yes":
            reasons.append((weights.internet_exposed, "reachable from the internet"))
            if certain:
                reasons.append(
                    (
                        weights.exposed_and_vulnerable,
                        "reachable from the internet with a known flaw",
                    )
                )
        elif exposure.internet == "unknown":
            reasons.append((weights.internet_unknown, "internet reachability unknown"))
        if exposure.credentials == "default":
            reasons.append((weights.default_credentials, "default credentials"))
        elif exposure.credentials == "unknown":
            reasons.append((weights.unknown_credentials, "credentials status unknown"))
        if exposure.outdated:
            reasons.append(
                (
                    weights.old_firmware,
                    f"firmware built {age} days ago (limit {self.options.firmware_max_age_days})",
                )
            )
        total = sum(points for points, _ in reasons)
        return total, [f"{text} (+{points})" for points, text in reasons if points]


def exploitation_note(advisory: AdvisoryMatch) -> str:
    """KEV membership and other exploitation reports, kept apart: " (in KEV since 2022-01-10;
    exploitation also reported: ...)"."""
    parts = []
    if advisory.in_kev:
        parts.append(f"in CISA KEV since {advisory.kev_date_added}")
    else:
        parts.append("not in CISA KEV")
    if advisory.exploitation_reported:
        parts.append(f"exploitation reported elsewhere: {advisory.exploitation_reported}")
    return " (" + "; ".join(parts) + ")"


@functools.cache
def _default_assessor() -> Assessor:
    return Assessor(shipped_catalog(), AuditOptions())


def assess_camera(
    vendor: str,
    model: str,
    firmware: str,
    *,
    internet: Reachability = "unknown",
    credentials: Credentials = "unknown",
    firmware_date: date | None = None,
    assessor: Assessor | None = None,
) -> CameraAssessment:
    """Assess one camera with the shipped data (or the given assessor's catalog and options).

    This is the entry point for the service: a registered camera's vendor, model and firmware
    give its coverage, matching advisories and risk.
    """
    chosen = assessor or _default_assessor()
    return chosen.assess(
        vendor,
        model,
        firmware,
        internet=internet,
        credentials=credentials,
        firmware_date=firmware_date,
    )
