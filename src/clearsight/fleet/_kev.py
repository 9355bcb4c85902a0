"""CISA's Known Exploited Vulnerabilities catalog (KEV): the shipped camera snapshot and the
files a user downloads from CISA.

The package ships ``data/kev.json``: the camera, NVR and DVR entries of one KEV catalog
version, with that version and the size of the whole catalog. ``clearsight fleet update-kev``
writes a newer snapshot of the same shape (by default under the user's data folder), which the
audit then prefers. KEV's own field names are kept, so an entry can be checked against CISA's
catalog by eye.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
from datetime import date
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clearsight.errors import ConfigError, InputError

STALE_AFTER_DAYS = 90
_VERSION = re.compile(r"^\d{4}\.\d{2}\.\d{2}$")
_CSV_COLUMNS = ("cveID", "vendorProject", "product", "dateAdded")


class KevEntry(BaseModel):
    """One KEV entry, with CISA's field names."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    cveID: str = Field(  # noqa: N815 - CISA's field name
        ..., pattern=r"^CVE-\d{4}-\d{4,}$", title="CVE id", description="The CVE id."
    )
    vendorProject: str = Field(  # noqa: N815
        ..., min_length=1, title="Vendor", description="The vendor as CISA names it."
    )
    product: str = Field(..., title="Product", description="The product as CISA names it.")
    vulnerabilityName: str = Field(  # noqa: N815
        "", title="Name", description="CISA's short name of the flaw."
    )
    dateAdded: date = Field(  # noqa: N815
        ..., title="Date added", description="When CISA added the entry to KEV."
    )
    shortDescription: str = Field(  # noqa: N815
        "", title="Description", description="CISA's description."
    )
    dueDate: date | None = Field(  # noqa: N815
        None, title="Due date", description="Remediation due date for US federal agencies."
    )
    knownRansomwareCampaignUse: str = Field(  # noqa: N815
        "Unknown",
        title="Ransomware use",
        description="'Known' when CISA knows of use in ransomware campaigns, else 'Unknown'.",
    )
    notes: str = Field("", title="Notes", description="CISA's notes, usually source links.")
    vendor_id: str | None = Field(
        None,
        title="Vendor id",
        description="The clearsight vendor id the entry was mapped to (snapshots only).",
    )

    @field_validator("dueDate", mode="before")
    @classmethod
    def _empty_due_date(cls, value: object) -> object:
        return None if value == "" else value


class KevSnapshot(BaseModel):
    """The camera entries of one KEV catalog version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    catalogVersion: str = Field(  # noqa: N815
        ..., pattern=_VERSION.pattern, title="Catalog version", description="YYYY.MM.DD."
    )
    dateReleased: str = Field(  # noqa: N815
        "", title="Released", description="When CISA released that catalog version."
    )
    count: int = Field(..., ge=0, title="Catalog size", description="Entries in the whole catalog.")
    source: str = Field(
        ..., min_length=3, title="Source", description="Where the catalog was read from."
    )
    selection: str = Field(
        ..., title="Selection", description="How the camera, NVR and DVR entries were chosen."
    )
    vulnerabilities: tuple[KevEntry, ...] = Field(
        ..., title="Entries", description="The camera, NVR and DVR entries, newest first."
    )

    @property
    def released(self) -> date:
        return date(*(int(part) for part in self.catalogVersion.split(".")))

    def entry(self, cve: str) -> KevEntry | None:
        return self._index.get(cve)

    def by_id(self) -> dict[str, KevEntry]:
        return dict(self._index)

    @functools.cached_property
    def _index(self) -> dict[str, KevEntry]:
        return {entry.cveID: entry for entry in self.vulnerabilities}

    def age_days(self, today: date) -> int:
        return (today - self.released).days

    def stale(self, today: date) -> bool:
        return self.age_days(today) > STALE_AFTER_DAYS


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@functools.cache
def shipped_kev() -> KevSnapshot:
    """The snapshot shipped in the package, read once on first use."""
    text = (resources.files("clearsight.fleet") / "data" / "kev.json").read_text("utf-8")
    try:
        return KevSnapshot.model_validate_json(text)
    except ValidationError as error:
        raise ConfigError(f"shipped KEV snapshot is invalid: {error.errors()[0]['msg']}") from None


def default_kev_path() -> Path:
    """Where ``update-kev`` writes and the audit looks for a newer snapshot: the user's data
    folder (``$XDG_DATA_HOME``, else ``~/.local/share``) under ``clearsight/fleet``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "clearsight" / "fleet" / "kev.json"


def read_snapshot(path: Path) -> KevSnapshot:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read KEV snapshot: {error.strerror}") from error
    try:
        return KevSnapshot.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise InputError(
            f"{path}: not a clearsight KEV snapshot: {where}: {first['msg']}"
        ) from None


def kev_in_use(explicit: Path | None) -> tuple[KevSnapshot, str]:
    """The snapshot an audit uses: the given file, else a newer one from ``update-kev`` in the
    default place, else the shipped one; with where it came from."""
    shipped = shipped_kev()
    if explicit is not None:
        snapshot = read_snapshot(explicit)
        if version_key(snapshot.catalogVersion) < version_key(shipped.catalogVersion):
            raise InputError(
                f"{explicit}: KEV catalog {snapshot.catalogVersion} is older than the shipped "
                f"snapshot ({shipped.catalogVersion}); refusing to use older data"
            )
        return snapshot, str(explicit)
    saved = default_kev_path()
    if saved.is_file():
        snapshot = read_snapshot(saved)
        if version_key(snapshot.catalogVersion) >= version_key(shipped.catalogVersion):
            return snapshot, str(saved)
    return shipped, "shipped"


class CisaCatalog(BaseModel):
    """A whole catalog as downloaded from CISA (JSON or CSV)."""

    model_config = ConfigDict(frozen=True)

    version: str
    released: str
    version_basis: str
    entries: tuple[KevEntry, ...]


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: not UTF-8 or cp1252 text")


def _entries(rows: list[object], path: Path) -> tuple[KevEntry, ...]:
    entries: list[KevEntry] = []
    for number, row in enumerate(rows, start=1):
        try:
            entries.append(KevEntry.model_validate(row))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise InputError(f"{path}: entry {number}: {where}: {first['msg']}") from None
    return tuple(entries)


def read_cisa_catalog(path: Path) -> CisaCatalog:
    """Read ``known_exploited_vulnerabilities.json`` or ``.csv`` as CISA publishes them.

    The JSON names its catalog version; the CSV does not, so its version is the latest
    ``dateAdded`` in it (CISA releases a version the day it adds entries), and the result says so.
    """
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read KEV catalog: {error.strerror}") from error
    text = _decode(raw, path)
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as error:
            raise InputError(f"{path}: not valid JSON: {error}") from error
        if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list):
            raise InputError(f"{path}: not a KEV catalog (no 'vulnerabilities' list)")
        version = str(document.get("catalogVersion", ""))
        if not _VERSION.match(version):
            raise InputError(f"{path}: catalogVersion {version!r} is not YYYY.MM.DD")
        return CisaCatalog(
            version=version,
            released=str(document.get("dateReleased", "")),
            version_basis="catalogVersion in the file",
            entries=_entries(document["vulnerabilities"], path),
        )
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in _CSV_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{path}: not a KEV catalog CSV (no {', '.join(missing)} column)")
    try:
        entries = _entries(list(reader), path)
    except csv.Error as error:
        raise InputError(f"{path}: not valid CSV: {error}") from error
    if not entries:
        raise InputError(f"{path}: the catalog has no entries")
    latest = max(entry.dateAdded for entry in entries)
    return CisaCatalog(
        version=latest.strftime("%Y.%m.%d"),
        released=latest.isoformat(),
        version_basis="latest dateAdded in the CSV (the CSV does not name its version)",
        entries=entries,
    )


def write_snapshot(snapshot: KevSnapshot, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(snapshot.model_dump_json(indent=1) + "\n", encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write KEV snapshot: {error.strerror}") from error
