"""The shipped vendor and advisory data, and updating advisories from a user file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from clearsight.errors import InputError
from clearsight.fleet import (
    AdvisoryFile,
    Assessor,
    AuditOptions,
    KevSnapshot,
    VendorFile,
    load_catalog,
    shipped_catalog,
)


def test_shipped_data_is_versioned_and_every_entry_is_sourced() -> None:
    catalog = shipped_catalog()
    assert catalog.vendors_version and catalog.advisories_version
    ids = {advisory.id for advisory in catalog.advisories}
    assert {"CVE-2017-7921", "CVE-2021-36260", "CVE-2021-33044", "CVE-2021-33045"} <= ids
    for entry in (*catalog.vendors, *catalog.advisories):
        assert entry.source.strip() and entry.recorded
    for advisory in catalog.advisories:
        assert advisory.source_date is not None, advisory.id
        assert advisory.affected, advisory.id


def _update(
    tmp_path: Path, version: str, advisories: list[dict[str, object]], schema: int = 2
) -> Path:
    path = tmp_path / "update.json"
    path.write_text(json.dumps({"schema": schema, "version": version, "advisories": advisories}))
    return path


NEW_AXIS = {
    "id": "TEST-2026-0001",
    "vendor": "axis",
    "title": "Test advisory for the P32 series",
    "exploitation_reported": None,
    "source": "test vendor bulletin",
    "recorded": "2026-12-01",
    "source_date": "2026-11-30",
    "fixed_firmware": "11.0",
    "affected": [{"models": ["P32\\d\\d.*"], "fixed": "11.0", "basis": "exact"}],
}


def test_update_adds_overrides_and_withdraws_by_id(tmp_path: Path) -> None:
    base = shipped_catalog()
    original = next(a for a in base.advisories if a.id == "CVE-2024-7029").model_dump(mode="json")
    withdrawn = {**original, "withdrawn": True}
    shipped_7921 = next(a for a in base.advisories if a.id == "CVE-2017-7921").model_dump(
        mode="json"
    )
    narrowed = {
        **shipped_7921,
        "affected": [
            {"models": ["DS-2CD2\\d\\d2F-I.*"], "last_affected": "V5.3.0", "basis": "exact"}
        ],
    }
    path = _update(tmp_path, "2099.01.01", [NEW_AXIS, withdrawn, narrowed])
    catalog = load_catalog(path)
    assert catalog.advisories_version == "2099.01.01"
    assert len(catalog.advisories) == len(base.advisories) + 1
    assessor = Assessor(catalog, AuditOptions())
    axis = assessor.assess("Axis", "P3245-LVE", "10.12.1")
    assert axis.advisory_ids == ("TEST-2026-0001",)
    assert assessor.assess("Axis", "P3245-LVE", "11.0").advisory_ids == ()
    assert assessor.assess("AVTECH", "AVM1203", "FullImg-1023-1007-1011-1009").advisory_ids == ()
    # The override narrowed the range: V5.4.0 is no longer inside it.
    hik = assessor.assess("Hikvision", "DS-2CD2132F-I", "V5.4.0 build 160101")
    assert "CVE-2017-7921" not in hik.advisory_ids
    assert (
        "CVE-2017-7921"
        in Assessor(base, AuditOptions())
        .assess("Hikvision", "DS-2CD2132F-I", "V5.4.0 build 160101")
        .advisory_ids
    )


@pytest.mark.parametrize(
    ("version", "schema", "advisories", "message"),
    [
        ("2020.01.01", 2, [NEW_AXIS], "older than the shipped"),
        ("2099.01.01", 1, [NEW_AXIS], "schema 1 is not supported"),
        ("2099-01-01", 2, [NEW_AXIS], "version"),
        ("2099.01.01", 2, [{**NEW_AXIS, "vendor": "nobody"}], "not a known vendor"),
        (
            "2099.01.01",
            2,
            [{**NEW_AXIS, "affected": [{"models": ["(["], "basis": "exact"}]}],
            "not a valid expression",
        ),
        (
            "2099.01.01",
            2,
            [{**NEW_AXIS, "affected": [{"models": ["P.*"], "basis": "approximate"}]}],
            "reason",
        ),
        ("2099.01.01", 2, [{**NEW_AXIS, "source": None}], "source"),
        ("2099.01.01", 2, [NEW_AXIS, NEW_AXIS], "unique"),
    ],
)
def test_bad_updates_are_refused_with_the_reason(
    tmp_path: Path, version: str, schema: int, advisories: list[dict[str, object]], message: str
) -> None:
    path = _update(tmp_path, version, advisories, schema)
    with pytest.raises(InputError, match=message) as caught:
        load_catalog(path)
    assert str(path) in str(caught.value)


def test_missing_or_broken_update_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_catalog(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_catalog(broken)


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    if model not in seen:
        seen.add(model)
        for field in model.model_fields.values():
            for candidate in getattr(field.annotation, "__args__", (field.annotation,)):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    _models(candidate, seen)
    return seen


@pytest.mark.parametrize("root", [AuditOptions, VendorFile, AdvisoryFile, KevSnapshot])
def test_every_field_is_documented_and_unknown_keys_are_refused(root: type[BaseModel]) -> None:
    models = _models(root, set())
    assert len(models) >= 2
    undocumented = [
        f"{model.__name__}.{name}"
        for model in models
        for name, field in model.model_fields.items()
        if not field.title or not field.description
    ]
    assert undocumented == []
    # CISA's entries carry fields clearsight does not keep (requiredAction, cwes, ...): a KEV
    # entry ignores them; everything else refuses unknown keys.
    lenient = [m.__name__ for m in models if m.model_config.get("extra") != "forbid"]
    assert lenient == (["KevEntry"] if root is KevSnapshot else [])
