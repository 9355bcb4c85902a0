"""``clearsight fleet update-kev``: a catalog downloaded from CISA becomes the camera snapshot.

The camera, NVR and DVR entries are chosen with the vendor table: an entry counts when its
vendor maps to a known vendor id and either every KEV entry of that vendor is a surveillance
product (``kev_scope: all``), or the entry names a camera or recorder, or its product matches
one of the vendor's ``kev_products`` patterns. The same rule chose the shipped snapshot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clearsight.errors import InputError
from clearsight.fleet._catalog import VendorEntry
from clearsight.fleet._kev import (
    CisaCatalog,
    KevEntry,
    KevSnapshot,
    kev_in_use,
    read_cisa_catalog,
    version_key,
    write_snapshot,
)
from clearsight.fleet._vendors import VendorIndex

_KEYWORDS = re.compile(r"camera|\bNVR\b|\bDVR\b|\bXVR\b|video recorder", re.IGNORECASE)
SELECTION = (
    "Entries whose vendorProject maps to a clearsight vendor id and that are camera, NVR or "
    "DVR products: every entry of a vendor marked kev_scope 'all', else entries naming a "
    "camera, NVR, DVR, XVR or video recorder, or whose product matches the vendor's "
    "kev_products patterns."
)


def _is_camera(entry: KevEntry, vendor: VendorEntry) -> bool:
    if vendor.kev_scope == "all":
        return True
    text = " ".join((entry.product, entry.vulnerabilityName, entry.shortDescription))
    if _KEYWORDS.search(text):
        return True
    return any(re.search(pattern, entry.product, re.IGNORECASE) for pattern in vendor.kev_products)


def camera_entries(
    entries: tuple[KevEntry, ...], vendors: tuple[VendorEntry, ...]
) -> tuple[KevEntry, ...]:
    """The camera, NVR and DVR entries, each with the vendor id it maps to, newest first."""
    index = VendorIndex(vendors)
    chosen: list[KevEntry] = []
    for entry in entries:
        vendor = index.find(entry.vendorProject)
        if vendor is not None and _is_camera(entry, vendor):
            chosen.append(entry.model_copy(update={"vendor_id": vendor.id}))
    return tuple(sorted(chosen, key=lambda entry: (entry.dateAdded, entry.cveID), reverse=True))


def snapshot_of(catalog: CisaCatalog, source: str, vendors: tuple[VendorEntry, ...]) -> KevSnapshot:
    return KevSnapshot(
        catalogVersion=catalog.version,
        dateReleased=catalog.released,
        count=len(catalog.entries),
        source=source,
        selection=SELECTION,
        vulnerabilities=camera_entries(catalog.entries, vendors),
    )


@dataclass(frozen=True)
class KevUpdate:
    """What update-kev did: the new snapshot and how it differs from the one it replaces."""

    snapshot: KevSnapshot
    previous_version: str
    version_basis: str
    added: tuple[KevEntry, ...]
    without_advisory: tuple[KevEntry, ...]
    written_to: Path
    age_days: int
    stale: bool


def update_kev(
    source: Path,
    out: Path,
    vendors: tuple[VendorEntry, ...],
    advisory_ids: frozenset[str],
    today: date,
) -> KevUpdate:
    """Read CISA's file, keep its camera entries and write them to ``out``; refuses a catalog
    older than the snapshot in use (the one at ``out`` if any, else the shipped one)."""
    catalog = read_cisa_catalog(source)
    current, _ = kev_in_use(out if out.is_file() else None)
    if version_key(catalog.version) < version_key(current.catalogVersion):
        raise InputError(
            f"{source}: catalog version {catalog.version} is older than the KEV snapshot in "
            f"use ({current.catalogVersion}); refusing to replace newer data"
        )
    snapshot = snapshot_of(catalog, f"CISA KEV catalog read from {source.name}", vendors)
    write_snapshot(snapshot, out)
    known = current.by_id()
    added = tuple(entry for entry in snapshot.vulnerabilities if entry.cveID not in known)
    without = tuple(entry for entry in snapshot.vulnerabilities if entry.cveID not in advisory_ids)
    return KevUpdate(
        snapshot=snapshot,
        previous_version=current.catalogVersion,
        version_basis=catalog.version_basis,
        added=added,
        without_advisory=without,
        written_to=out,
        age_days=snapshot.age_days(today),
        stale=snapshot.stale(today),
    )
