"""The vendor and advisory data: pydantic schemas, the shipped files, and user updates.

The shipped files live in ``clearsight/fleet/data``. Each carries a ``schema`` number (the file
format this code reads) and a ``version`` (``YYYY.MM.DD``, the day the data was reviewed). An
update file replaces or adds vendors or advisories by id; it must use the same schema and must
not be older than the shipped data, so a stale file cannot silently undo newer entries.

Whether a CVE is in CISA's KEV catalog is not written in the advisories: it comes from the KEV
snapshot in use (``_kev``), so one KEV update changes every answer at once. A KEV camera entry
that no advisory covers yet becomes a "possible" advisory for that vendor's cameras.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clearsight.errors import ConfigError, InputError
from clearsight.fleet._firmware import FirmwareStyle
from clearsight.fleet._kev import KevEntry, KevSnapshot, kev_in_use, shipped_kev, version_key

SCHEMA = 2
_VERSION_PATTERN = r"^\d{4}\.\d{2}\.\d{2}$"

Relation = Literal["manufacturer", "subsidiary", "brand", "oem", "partial_oem"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(
        ..., min_length=3, title="Source", description="The public source this entry rests on."
    )
    url: str | None = Field(
        None, title="Source address", description="A link to the source, where one is stable."
    )
    source_date: date | None = Field(
        None, title="Source date", description="When the source was published, where known."
    )
    recorded: date = Field(
        ..., title="Recorded", description="When this entry was written or last checked."
    )
    note: str = Field("", title="Note", description="Caveats a reader must know.")


class VendorEntry(_Entry):
    id: str = Field(
        ..., pattern=r"^[a-z0-9-]+$", title="Vendor id", description="Stable lower-case id."
    )
    name: str = Field(..., min_length=1, title="Display name", description="Name shown in reports.")
    aliases: tuple[str, ...] = Field(
        ...,
        min_length=1,
        title="Aliases",
        description="Names under which this vendor appears in inventories, lower case; matched "
        "as whole words after punctuation is removed.",
    )
    relation: Relation = Field(
        ...,
        title="Relation",
        description="manufacturer: makes its own products; subsidiary or brand: owned by "
        "made_by; oem: sells products made by made_by; partial_oem: some of its products are "
        "made by made_by (or, where made_by is empty, by a covered maker not yet named).",
    )
    made_by: str | None = Field(
        None,
        title="Made by",
        description="Vendor id of the manufacturer behind a subsidiary, brand or relabel.",
    )
    covered_basis: tuple[str, ...] = Field(
        (),
        title="Coverage basis",
        description="For manufacturers: the rules that cover them (NDAA s.889, FCC Covered "
        "List); empty when not covered. Relabels inherit from made_by.",
    )

    firmware_style: FirmwareStyle = Field(
        "auto",
        title="Firmware style",
        description="How to read this maker's firmware strings: auto, or yymmddnn where a "
        "_NNNNNNNN suffix is a YYMMDD build date plus a build of the day (Reolink).",
    )
    kev_scope: Literal["all", "keywords"] = Field(
        "keywords",
        title="KEV scope",
        description="all: every KEV entry of this vendor is a camera, NVR or DVR product; "
        "keywords: only entries that say camera, NVR, DVR or video recorder, or whose product "
        "matches kev_products.",
    )
    kev_products: tuple[str, ...] = Field(
        (),
        title="KEV camera products",
        description="Regular expressions for KEV product names of this vendor that are "
        "cameras or recorders although the entry does not say so (D-Link DCS-, DNR-).",
    )

    @model_validator(mode="after")
    def _relation_needs_maker(self) -> VendorEntry:
        if self.relation == "manufacturer" and self.made_by is not None:
            raise ValueError("made_by is forbidden for manufacturers")
        if self.relation in ("subsidiary", "brand", "oem") and self.made_by is None:
            raise ValueError("made_by is required for subsidiaries, brands and OEMs")
        return self


class AffectedRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    models: tuple[str, ...] = Field(
        ...,
        min_length=1,
        title="Model patterns",
        description="Regular expressions matched case-insensitively against the whole model.",
    )
    introduced: str | None = Field(
        None, title="Introduced", description="First affected firmware (inclusive)."
    )
    last_affected: str | None = Field(
        None, title="Last affected", description="Last affected firmware (inclusive)."
    )
    fixed: str | None = Field(
        None, title="Fixed", description="First firmware with the fix (exclusive bound)."
    )
    built_before: date | None = Field(
        None,
        title="Built before",
        description="Firmware built before this day is affected (for vendors that date builds).",
    )
    firmware_known: bool = Field(
        True,
        title="Firmware range known",
        description="False where no usable firmware range is known: every firmware of these "
        "models is then a possible match, never a definite one.",
    )
    basis: Literal["exact", "approximate"] = Field(
        ...,
        title="Basis",
        description="exact: models and bounds as NVD or the vendor state them; approximate: "
        "simplified or inferred, with the reason.",
    )
    reason: str = Field("", title="Reason", description="Why an approximate range is approximate.")
    cpe: tuple[str, ...] = Field(
        (),
        title="CPE ids",
        description="The NVD CPE 2.3 names (firmware) the model patterns stand for; a trailing "
        "'...' marks a list shortened here.",
    )
    nvd_last_modified: str | None = Field(
        None,
        title="NVD last modified",
        description="The lastModified time of the NVD record the range was read from.",
    )

    @model_validator(mode="after")
    def _approximate_says_why(self) -> AffectedRange:
        if self.basis == "approximate" and not self.reason.strip():
            raise ValueError("an approximate range needs its reason")
        return self

    @field_validator("models")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"model pattern {pattern!r} is not a valid expression: {error}"
                ) from None
        return patterns


class AdvisoryEntry(_Entry):
    id: str = Field(..., min_length=3, title="Advisory id", description="A CVE id or vendor id.")
    vendor: str = Field(
        ..., title="Vendor id", description="The manufacturer whose firmware is affected."
    )
    title: str = Field(..., min_length=3, title="Title", description="What the flaw allows.")
    exploitation_reported: str | None = Field(
        None,
        title="Exploitation reported elsewhere",
        description="A public report of exploitation in the wild other than CISA's KEV "
        "catalog (whether a CVE is in KEV comes from the KEV snapshot, not from here).",
    )
    fixed_firmware: str | None = Field(
        None, title="Fixed firmware", description="The firmware to upgrade to, where known."
    )
    withdrawn: bool = Field(
        False, title="Withdrawn", description="An update can withdraw a shipped entry by id."
    )
    affected: tuple[AffectedRange, ...] = Field(
        (), title="Affected", description="Model patterns with their affected firmware ranges."
    )


class _DataFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: int = Field(..., alias="schema", title="Schema", description="File format number.")
    version: str = Field(
        ..., pattern=_VERSION_PATTERN, title="Data version", description="YYYY.MM.DD."
    )
    description: str = Field("", title="Description", description="What the file holds.")


class VendorFile(_DataFile):
    vendors: tuple[VendorEntry, ...] = Field(
        ..., min_length=1, title="Vendors", description="Every vendor the audit recognises."
    )

    # A whole table names its own makers; an update may name makers of the table it updates.
    _complete: ClassVar[bool] = True

    @model_validator(mode="after")
    def _makers_exist(self) -> VendorFile:
        ids = [vendor.id for vendor in self.vendors]
        if len(ids) != len(set(ids)):
            raise ValueError("vendor ids must be unique")
        for vendor in self.vendors if self._complete else ():
            if vendor.made_by is not None and vendor.made_by not in ids:
                raise ValueError(f"{vendor.id}: made_by {vendor.made_by!r} is not a vendor id")
        return self


class VendorUpdateFile(VendorFile):
    """A vendor update: its makers may be shipped vendors, so they are checked after merging."""

    _complete: ClassVar[bool] = False


class AdvisoryFile(_DataFile):
    advisories: tuple[AdvisoryEntry, ...] = Field(
        ..., title="Advisories", description="Advisories, one per id."
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> AdvisoryFile:
        ids = [advisory.id for advisory in self.advisories]
        if len(ids) != len(set(ids)):
            raise ValueError("advisory ids must be unique")
        return self


_FileT = TypeVar("_FileT", "VendorUpdateFile", "AdvisoryFile")


@dataclass(frozen=True)
class Catalog:
    """The vendor and advisory data one audit uses, with the versions it came from."""

    vendors: tuple[VendorEntry, ...]
    advisories: tuple[AdvisoryEntry, ...]
    vendors_version: str
    advisories_version: str
    kev: KevSnapshot
    kev_source: str = "shipped"
    update_source: str | None = None
    vendors_update: str | None = None
    kev_only_ids: frozenset[str] = frozenset()

    def kev_entry(self, cve: str) -> KevEntry | None:
        """The KEV entry of a CVE in the snapshot in use, if it is in KEV."""
        return self.kev.entry(cve)


def _read_json(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except ValueError as error:
        raise InputError(f"{where}: not valid JSON: {error}") from error


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "file"
    return f"{location}: {first['msg']}"


@functools.cache
def shipped_catalog() -> Catalog:
    """The data shipped with the package, read and validated once, on first use."""
    folder = resources.files("clearsight.fleet") / "data"
    try:
        vendors = VendorFile.model_validate(
            _read_json((folder / "vendors.json").read_text("utf-8"), "vendors.json")
        )
        advisories = AdvisoryFile.model_validate(
            _read_json((folder / "advisories.json").read_text("utf-8"), "advisories.json")
        )
    except ValidationError as error:
        raise ConfigError(f"shipped fleet data is invalid: {_first_error(error)}") from error
    if vendors.schema_ != SCHEMA or advisories.schema_ != SCHEMA:
        raise ConfigError(f"shipped fleet data has schema other than {SCHEMA}")
    with_kev, kev_only = _with_kev(advisories.advisories, shipped_kev())
    return Catalog(
        vendors=vendors.vendors,
        advisories=with_kev,
        vendors_version=vendors.version,
        advisories_version=advisories.version,
        kev=shipped_kev(),
        kev_only_ids=kev_only,
    )


def _read_update(path: Path, model: type[_FileT], what: str) -> _FileT:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"{path}: cannot read {what} update: {error.strerror}") from error
    try:
        update = model.model_validate(_read_json(text, str(path)))
    except ValidationError as error:
        raise InputError(f"{path}: {_first_error(error)}") from error
    if update.schema_ != SCHEMA:
        raise InputError(
            f"{path}: schema {update.schema_} is not supported (this version reads schema {SCHEMA})"
        )
    return update


def _refuse_older(path: Path, version: str, current: str, what: str) -> None:
    if version_key(version) < version_key(current):
        raise InputError(
            f"{path}: version {version} is older than the shipped {what} ({current}); "
            "refusing to override newer data"
        )


def merge_vendors(
    base: tuple[VendorEntry, ...], path: Path
) -> tuple[VendorUpdateFile, tuple[VendorEntry, ...]]:
    """Vendors replaced or added by id from an update file, checked as a whole table."""
    update = _read_update(path, VendorUpdateFile, "vendor")
    merged = {vendor.id: vendor for vendor in base}
    merged.update({vendor.id: vendor for vendor in update.vendors})
    try:
        VendorFile.model_validate(
            {"schema": SCHEMA, "version": update.version, "vendors": list(merged.values())}
        )
    except ValidationError as error:
        raise InputError(
            f"{path}: the merged vendor table is invalid: {_first_error(error)}"
        ) from error
    return update, tuple(merged.values())


def kev_possible_advisory(entry: KevEntry, vendor_id: str, recorded: date) -> AdvisoryEntry:
    """A KEV camera entry no advisory covers yet: every camera of the vendor is a possible
    match until someone records its models and firmware range."""
    return AdvisoryEntry(
        id=entry.cveID,
        vendor=vendor_id,
        title=entry.vulnerabilityName or entry.shortDescription or entry.cveID,
        source=f"CISA Known Exploited Vulnerabilities catalog: {entry.vendorProject} "
        f"{entry.product}",
        url=f"https://nvd.nist.gov/vuln/detail/{entry.cveID}",
        source_date=entry.dateAdded,
        recorded=recorded,
        note="Created from KEV alone: no model or firmware range recorded yet.",
        affected=(
            AffectedRange(
                models=(".*",),
                firmware_known=False,
                basis="approximate",
                reason="KEV names the product only; models and firmware not yet recorded",
            ),
        ),
    )


def _with_kev(
    advisories: tuple[AdvisoryEntry, ...], kev: KevSnapshot
) -> tuple[tuple[AdvisoryEntry, ...], frozenset[str]]:
    """The advisories plus a possible one for each KEV camera entry none of them covers."""
    known = {advisory.id for advisory in advisories}
    extra = tuple(
        kev_possible_advisory(entry, entry.vendor_id, kev.released)
        for entry in kev.vulnerabilities
        if entry.cveID not in known and entry.vendor_id is not None
    )
    return advisories + extra, frozenset(advisory.id for advisory in extra)


def load_catalog(
    advisories_update: Path | None = None,
    vendors_update: Path | None = None,
    kev: Path | None = None,
) -> Catalog:
    """The shipped data, with vendors and advisories replaced or added by id from update files,
    and the KEV snapshot in use (``kev``, else a newer one saved by update-kev, else shipped)."""
    base = shipped_catalog()
    vendors, vendors_version = base.vendors, base.vendors_version
    if vendors_update is not None:
        update, vendors = merge_vendors(base.vendors, vendors_update)
        _refuse_older(vendors_update, update.version, base.vendors_version, "vendors")
        vendors_version = update.version
    advisories = tuple(a for a in base.advisories if a.id not in base.kev_only_ids)
    advisories_version = base.advisories_version
    if advisories_update is not None:
        advisory_file = _read_update(advisories_update, AdvisoryFile, "advisory")
        _refuse_older(
            advisories_update, advisory_file.version, base.advisories_version, "advisories"
        )
        known_vendors = {vendor.id for vendor in vendors}
        for advisory in advisory_file.advisories:
            if advisory.vendor not in known_vendors:
                raise InputError(
                    f"{advisories_update}: {advisory.id}: vendor {advisory.vendor!r} is not a "
                    "known vendor id (add it with --vendors)"
                )
        merged = {advisory.id: advisory for advisory in advisories}
        merged.update({advisory.id: advisory for advisory in advisory_file.advisories})
        advisories, advisories_version = tuple(merged.values()), advisory_file.version
    snapshot, kev_source = kev_in_use(kev)
    with_kev, kev_only = _with_kev(advisories, snapshot)
    return Catalog(
        vendors=vendors,
        advisories=with_kev,
        kev_only_ids=kev_only,
        vendors_version=vendors_version,
        advisories_version=advisories_version,
        kev=snapshot,
        kev_source=kev_source,
        update_source=str(advisories_update) if advisories_update else None,
        vendors_update=str(vendors_update) if vendors_update else None,
    )
