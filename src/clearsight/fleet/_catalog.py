"""The vendor and advisory data: pydantic schemas, the shipped files, and user updates.

The shipped files live in ``clearsight/fleet/data``. Each carries a ``schema`` number (the file
format this code reads) and a ``version`` (``YYYY.MM.DD``, the day the data was reviewed). An
update file replaces or adds advisories by id; it must use the same schema and must not be older
than the shipped data, so a stale file cannot silently undo newer entries.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clearsight.errors import ConfigError, InputError

SCHEMA = 1
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
        "made_by; oem: sells products made by made_by; partial_oem: some of its products are.",
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

    @model_validator(mode="after")
    def _relation_needs_maker(self) -> VendorEntry:
        if (self.relation == "manufacturer") != (self.made_by is None):
            raise ValueError("made_by is required for relabels and forbidden for manufacturers")
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
    known_exploited: bool = Field(
        ..., title="Known exploited", description="Exploitation in the wild is reported."
    )
    kev_date_added: date | None = Field(
        None, title="KEV date added", description="When CISA added it to its KEV catalog."
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

    @model_validator(mode="after")
    def _makers_exist(self) -> VendorFile:
        ids = [vendor.id for vendor in self.vendors]
        if len(ids) != len(set(ids)):
            raise ValueError("vendor ids must be unique")
        for vendor in self.vendors:
            if vendor.made_by is not None and vendor.made_by not in ids:
                raise ValueError(f"{vendor.id}: made_by {vendor.made_by!r} is not a vendor id")
        return self


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


@dataclass(frozen=True)
class Catalog:
    """The vendor and advisory data one audit uses, with the versions it came from."""

    vendors: tuple[VendorEntry, ...]
    advisories: tuple[AdvisoryEntry, ...]
    vendors_version: str
    advisories_version: str
    update_source: str | None = None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


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
    return Catalog(
        vendors=vendors.vendors,
        advisories=advisories.advisories,
        vendors_version=vendors.version,
        advisories_version=advisories.version,
    )


def load_catalog(advisories_update: Path | None = None) -> Catalog:
    """The shipped data, with advisories replaced or added by id from an update file."""
    base = shipped_catalog()
    if advisories_update is None:
        return base
    try:
        text = advisories_update.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(
            f"{advisories_update}: cannot read advisory update: {error.strerror}"
        ) from error
    try:
        update = AdvisoryFile.model_validate(_read_json(text, str(advisories_update)))
    except ValidationError as error:
        raise InputError(f"{advisories_update}: {_first_error(error)}") from error
    if update.schema_ != SCHEMA:
        raise InputError(
            f"{advisories_update}: schema {update.schema_} is not supported (this version "
            f"reads schema {SCHEMA})"
        )
    if _version_key(update.version) < _version_key(base.advisories_version):
        raise InputError(
            f"{advisories_update}: version {update.version} is older than the shipped "
            f"advisories ({base.advisories_version}); refusing to override newer data"
        )
    known_vendors = {vendor.id for vendor in base.vendors}
    for advisory in update.advisories:
        if advisory.vendor not in known_vendors:
            raise InputError(
                f"{advisories_update}: {advisory.id}: vendor {advisory.vendor!r} is not a known "
                "vendor id"
            )
    merged = {advisory.id: advisory for advisory in base.advisories}
    merged.update({advisory.id: advisory for advisory in update.advisories})
    return Catalog(
        vendors=base.vendors,
        advisories=tuple(merged.values()),
        vendors_version=base.vendors_version,
        advisories_version=update.version,
        update_source=str(advisories_update),
    )
