"""Vendor normalisation: an inventory's manufacturer string to a known vendor and its coverage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from clearsight.fleet._catalog import VendorEntry

Coverage = Literal["covered", "possible", "not_covered", "unknown"]

_NON_WORD = re.compile(r"[^a-z0-9]+")


def _words(text: str) -> tuple[str, ...]:
    # "Hangzhou Hikvision Digital Technology Co., Ltd." -> ("hangzhou", "hikvision", ...);
    # apostrophes vanish so "Nelly's" and "Nellys" meet.
    return tuple(_NON_WORD.sub(" ", text.lower().replace("'", "")).split())


@dataclass(frozen=True)
class VendorMatch:
    """What a manufacturer string resolves to."""

    vendor_id: str | None
    name: str
    relation: str
    made_by_id: str | None
    made_by: str | None
    coverage: Coverage
    basis: tuple[str, ...]
    source: str | None
    url: str | None
    note: str

    @property
    def covered(self) -> bool:
        return self.coverage == "covered"

    @property
    def origin_id(self) -> str | None:
        """The manufacturer whose firmware the camera runs (itself unless relabelled)."""
        return self.made_by_id or self.vendor_id


class VendorIndex:
    """Whole-word alias lookup; longer aliases win so "prama hikvision" beats "hikvision"."""

    def __init__(self, vendors: tuple[VendorEntry, ...]) -> None:
        self._by_id = {vendor.id: vendor for vendor in vendors}
        aliases = [(_words(alias), vendor) for vendor in vendors for alias in vendor.aliases]
        self._aliases = sorted(
            ((words, vendor) for words, vendor in aliases if words),
            key=lambda pair: -len(pair[0]),
        )
        self._cache: dict[str, VendorMatch] = {}

    def entry(self, vendor_id: str) -> VendorEntry | None:
        return self._by_id.get(vendor_id)

    def find(self, text: str) -> VendorEntry | None:
        """The vendor whose alias appears in ``text`` as whole words, if any."""
        return self._find(_words(text))

    def _find(self, words: tuple[str, ...]) -> VendorEntry | None:
        for alias, vendor in self._aliases:
            size = len(alias)
            if any(words[start : start + size] == alias for start in range(len(words) - size + 1)):
                return vendor
        return None

    def match(self, text: str) -> VendorMatch:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        vendor = self._find(_words(text))
        result = self._describe(vendor, text)
        self._cache[text] = result
        return result

    def _describe(self, vendor: VendorEntry | None, text: str) -> VendorMatch:
        if vendor is None:
            return VendorMatch(
                vendor_id=None,
                name=text.strip() or "unknown",
                relation="unknown",
                made_by_id=None,
                made_by=None,
                coverage="unknown",
                basis=(),
                source=None,
                url=None,
                note="Vendor not in the data: check it by hand.",
            )
        maker = self._by_id[vendor.made_by] if vendor.made_by else None
        basis = (maker or vendor).covered_basis
        coverage: Coverage
        if vendor.relation == "partial_oem" and (basis or maker is None):
            coverage = "possible"
        elif not basis:
            coverage = "not_covered"
        else:
            coverage = "covered"
        return VendorMatch(
            vendor_id=vendor.id,
            name=vendor.name,
            relation=vendor.relation,
            made_by_id=maker.id if maker else None,
            made_by=maker.name if maker else None,
            coverage=coverage,
            basis=basis,
            source=vendor.source,
            url=vendor.url,
            note=vendor.note,
        )
