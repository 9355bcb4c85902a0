"""The KEV snapshot: shipped, updated from CISA's JSON or CSV, refused when older, stale after
90 days; and vendor table updates with advisories filed under the new vendors."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clearsight.cli.fleet_commands  # noqa: F401  (registers the fleet group)
from clearsight.cli._app import app
from clearsight.errors import InputError
from clearsight.fleet import (
    Assessor,
    AuditOptions,
    load_catalog,
    read_cisa_catalog,
    shipped_catalog,
    shipped_kev,
    update_kev,
)

KEV_FILE = Path("/work/shared/datasets/kev/known_exploited_vulnerabilities-2026.08.21.json")
runner = CliRunner()


def _entry(cve: str, vendor: str, product: str, added: str, **extra: str) -> dict[str, object]:
    return {
        "cveID": cve,
        "vendorProject": vendor,
        "product": product,
        "vulnerabilityName": f"{vendor} {product} flaw",
        "dateAdded": added,
        "shortDescription": extra.get("description", f"{vendor} {product} has a flaw."),
        "requiredAction": "Apply updates.",
        "dueDate": "2026-12-01",
        "knownRansomwareCampaignUse": extra.get("ransomware", "Unknown"),
        "notes": "",
        "cwes": ["CWE-78"],
    }


# A newer catalog: every shipped camera entry, one new camera entry, and entries that are not
# cameras (a D-Link router, a Samsung phone) which must be left out.
NEW_CAMERA = _entry("CVE-2026-99001", "Hikvision", "NVR firmware", "2026-11-20", ransomware="Known")
NOT_CAMERAS = [
    _entry("CVE-2026-99002", "D-Link", "DIR-878 Router", "2026-11-21"),
    _entry("CVE-2026-99003", "Samsung", "Mobile Devices", "2026-11-22"),
]


def _shipped_as_cisa() -> list[dict[str, object]]:
    return [
        entry.model_dump(mode="json", exclude={"vendor_id"})
        for entry in shipped_kev().vulnerabilities
    ]


def _write_json(path: Path, version: str, entries: list[dict[str, object]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "title": "CISA Catalog of Known Exploited Vulnerabilities",
                "catalogVersion": version,
                "dateReleased": f"{version.replace('.', '-')}T12:00:00.000Z",
                "count": len(entries),
                "vulnerabilities": entries,
            }
        ),
        encoding="utf-8",
    )
    return path


def _write_csv(path: Path, entries: list[dict[str, object]], encoding: str = "utf-8") -> Path:
    columns = list(_entry("CVE-0000-0000", "x", "x", "2026-01-01"))
    # errors="replace": a few CISA notes hold characters cp1252 lacks, as in Excel's exports.
    with path.open("w", encoding=encoding, errors="replace", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for entry in entries:
            cwes = entry.get("cwes", [])
            assert isinstance(cwes, list)
            writer.writerow({**entry, "cwes": ", ".join(cwes)})
    return path


def test_shipped_snapshot_is_the_camera_part_of_catalog_2026_08_21() -> None:
    snapshot = shipped_kev()
    assert snapshot.catalogVersion == "2026.08.21" and snapshot.count == 1674
    by_id = snapshot.by_id()
    assert len(by_id) == 21
    assert {"CVE-2021-36260", "CVE-2020-5735", "CVE-2019-20085", "CVE-2023-52163"} <= set(by_id)
    assert by_id["CVE-2021-36260"].dateAdded == date(2022, 1, 10)
    assert by_id["CVE-2020-5735"].vendor_id == "amcrest"
    # D-Link routers and NAS, QNAP NAS and Samsung phones are in KEV but are not cameras.
    assert "CVE-2024-3273" not in by_id and "CVE-2021-28799" not in by_id


@pytest.mark.skipif(not KEV_FILE.is_file(), reason="KEV catalog not in /work/shared/datasets")
def test_the_shipped_snapshot_is_what_update_kev_makes_of_the_real_catalog(
    tmp_path: Path,
) -> None:
    out = tmp_path / "kev.json"
    result = update_kev(KEV_FILE, out, shipped_catalog().vendors, frozenset(), date(2026, 8, 22))
    assert result.snapshot.vulnerabilities == shipped_kev().vulnerabilities
    assert result.snapshot.count == 1674 and result.added == ()
    assert not result.stale


def test_update_from_json_adds_entries_maps_vendors_and_creates_possible_advisories(
    tmp_path: Path,
) -> None:
    catalog_file = _write_json(
        tmp_path / "kev-new.json", "2026.11.22", [NEW_CAMERA, *NOT_CAMERAS, *_shipped_as_cisa()]
    )
    out = tmp_path / "kev.json"
    advisory_ids = frozenset(a.id for a in shipped_catalog().advisories)
    result = update_kev(
        catalog_file, out, shipped_catalog().vendors, advisory_ids, date(2026, 12, 6)
    )
    assert result.snapshot.catalogVersion == "2026.11.22"
    assert [entry.cveID for entry in result.added] == ["CVE-2026-99001"]
    assert [entry.cveID for entry in result.without_advisory] == ["CVE-2026-99001"]
    new = result.snapshot.by_id()["CVE-2026-99001"]
    assert new.vendor_id == "hikvision" and new.knownRansomwareCampaignUse == "Known"
    assert len(result.snapshot.vulnerabilities) == 22
    # An audit with the new snapshot reports the new entry as possible for Hikvision devices.
    catalog = load_catalog(kev=out)
    assert catalog.kev.catalogVersion == "2026.11.22" and catalog.kev_source == str(out)
    assessment = Assessor(catalog, AuditOptions()).assess(
        "Hikvision", "DS-7608NI-K1", "V4.22.005 build 200101"
    )
    possible = {match.id: match for match in assessment.possible_advisories}
    assert possible["CVE-2026-99001"].in_kev
    assert possible["CVE-2026-99001"].kev_date_added == date(2026, 11, 20)
    assert possible["CVE-2026-99001"].basis == "approximate"


def test_update_from_cisa_csv_in_cp1252_takes_the_latest_date_as_version(tmp_path: Path) -> None:
    entries = [
        {**NEW_CAMERA, "shortDescription": "Caméra flaw"},
        *_shipped_as_cisa(),
    ]
    catalog_file = _write_csv(tmp_path / "known_exploited_vulnerabilities.csv", entries, "cp1252")
    parsed = read_cisa_catalog(catalog_file)
    assert parsed.version == "2026.11.20" and "latest dateAdded" in parsed.version_basis
    out = tmp_path / "kev.json"
    result = update_kev(catalog_file, out, shipped_catalog().vendors, frozenset(), date.today())
    assert result.snapshot.by_id()["CVE-2026-99001"].shortDescription == "Caméra flaw"


def test_an_older_catalog_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    older = _write_json(tmp_path / "old.json", "2025.01.01", _shipped_as_cisa())
    out = tmp_path / "kev.json"
    with pytest.raises(InputError, match="older than the KEV snapshot in use"):
        update_kev(older, out, shipped_catalog().vendors, frozenset(), date.today())
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"catalogVersion": "2026.09.01"}', "no 'vulnerabilities' list"),
        ('{"catalogVersion": "soon", "vulnerabilities": []}', "is not YYYY.MM.DD"),
        ("a,b\n1,2\n", "no cveID"),
    ],
)
def test_bad_catalog_files_are_refused_with_the_reason(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / ("kev.json" if content.startswith("{") else "kev.csv")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_cisa_catalog(path)


def test_cli_update_kev_and_the_stale_warning(tmp_path: Path) -> None:
    catalog_file = _write_json(tmp_path / "kev-new.json", "2026.11.22", [NEW_CAMERA])
    out = tmp_path / "kev.json"
    result = runner.invoke(app, ["fleet", "update-kev", str(catalog_file), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "KEV catalog 2026.11.22" in result.stdout and "1 camera, NVR and DVR entries of 1" in (
        result.stdout
    )
    assert "possible only: CVE-2026-99001" in result.stdout
    older = _write_json(tmp_path / "kev-old.json", "2026.01.01", [NEW_CAMERA])
    refused = runner.invoke(app, ["fleet", "update-kev", str(older), "--out", str(out)])
    assert refused.exit_code == 2 and "older than the KEV snapshot in use" in refused.stderr
    inventory = tmp_path / "fleet.csv"
    inventory.write_text("name,vendor,model,firmware\ngate,Hikvision,DS-2CD2143G2-I,\n")
    fresh = runner.invoke(
        app, ["fleet", "audit", str(inventory), "--kev", str(out), "--as-of", "2026-12-06"]
    )
    assert fresh.exit_code == 0 and "days old" not in fresh.stderr
    stale = runner.invoke(
        app, ["fleet", "audit", str(inventory), "--kev", str(out), "--as-of", "2027-03-01"]
    )
    assert stale.exit_code == 0
    assert "warning: the KEV snapshot in use (catalog 2026.11.22" in stale.stderr
    assert "99 days old" in stale.stderr


def _vendors_update(tmp_path: Path, version: str, vendors: list[dict[str, object]]) -> Path:
    path = tmp_path / "vendors.json"
    path.write_text(json.dumps({"schema": 2, "version": version, "vendors": vendors}))
    return path


NEW_OEM = {
    "id": "acme-cctv",
    "name": "Acme CCTV",
    "aliases": ["acme cctv"],
    "relation": "oem",
    "made_by": "dahua",
    "source": "test teardown",
    "recorded": "2026-12-06",
}
ACME_ADVISORY = {
    "id": "TEST-ACME-1",
    "vendor": "acme-cctv",
    "title": "Acme's own web interface flaw",
    "source": "test bulletin",
    "recorded": "2026-12-06",
    "affected": [{"models": ["AC-\\d+"], "fixed": "2.0", "basis": "exact"}],
}


def test_vendor_update_adds_an_oem_whose_own_advisories_match_its_cameras(
    tmp_path: Path,
) -> None:
    vendors = _vendors_update(tmp_path, "2099.01.01", [NEW_OEM])
    advisories = tmp_path / "advisories.json"
    advisories.write_text(
        json.dumps({"schema": 2, "version": "2099.01.01", "advisories": [ACME_ADVISORY]})
    )
    catalog = load_catalog(advisories, vendors)
    assert catalog.vendors_version == "2099.01.01" and catalog.vendors_update == str(vendors)
    assessor = Assessor(catalog, AuditOptions())
    acme = assessor.assess("Acme CCTV", "AC-100", "1.5")
    assert acme.vendor.made_by == "Dahua" and acme.coverage == "covered"
    assert acme.advisory_ids == ("TEST-ACME-1",)
    # A Dahua model sold under the Acme label still gets Dahua's advisories.
    relabelled = assessor.assess("Acme CCTV", "IPC-HDW3441T-ZAS", "V2.800.0000000.25.R.210513")
    assert relabelled.advisory_ids == ("CVE-2021-33044", "CVE-2021-33045")
    # Without the vendor update the advisory file names an unknown vendor.
    with pytest.raises(InputError, match="add it with --vendors"):
        load_catalog(advisories)


@pytest.mark.parametrize(
    ("version", "vendor", "message"),
    [
        ("2020.01.01", NEW_OEM, "older than the shipped vendors"),
        ("2099.01.01", {**NEW_OEM, "made_by": "nobody"}, "is not a vendor id"),
        ("2099.01.01", {**NEW_OEM, "relation": "oem", "made_by": None}, "made_by is required"),
    ],
)
def test_bad_vendor_updates_are_refused(
    tmp_path: Path, version: str, vendor: dict[str, object], message: str
) -> None:
    path = _vendors_update(tmp_path, version, [vendor])
    with pytest.raises(InputError, match=message):
        load_catalog(None, path)


def test_cli_audit_takes_vendor_updates(tmp_path: Path) -> None:
    vendors = _vendors_update(tmp_path, "2099.01.01", [NEW_OEM])
    inventory = tmp_path / "fleet.csv"
    inventory.write_text("name,vendor,model\nyard,Acme CCTV,AC-100\n")
    out = tmp_path / "audit.json"
    result = runner.invoke(
        app, ["fleet", "audit", str(inventory), "--vendors", str(vendors), "--json", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["cameras"][0]["vendor_id"] == "acme-cctv"
    assert data["audit"]["vendors_update"] == str(vendors)
    assert data["audit"]["kev_catalog_version"] == "2026.08.21"


def test_update_kev_saves_to_the_data_folder_and_audits_use_it(tmp_path: Path) -> None:
    catalog_file = _write_json(tmp_path / "kev-new.json", "2026.11.22", [NEW_CAMERA])
    result = runner.invoke(app, ["fleet", "update-kev", str(catalog_file)])
    assert result.exit_code == 0, result.stderr
    saved = tmp_path / "xdg-data" / "clearsight" / "fleet" / "kev.json"
    assert saved.is_file() and str(saved) in result.stdout
    catalog = load_catalog()
    assert catalog.kev.catalogVersion == "2026.11.22" and catalog.kev_source == str(saved)


def test_an_explicit_snapshot_older_than_the_shipped_one_is_refused(tmp_path: Path) -> None:
    old = shipped_kev().model_copy(update={"catalogVersion": "2025.01.02"})
    path = tmp_path / "old-kev.json"
    path.write_text(old.model_dump_json(), encoding="utf-8")
    with pytest.raises(InputError, match="older than the shipped snapshot"):
        load_catalog(kev=path)
    broken = tmp_path / "broken.json"
    broken.write_text('{"catalogVersion": "2026.09.01"}', encoding="utf-8")
    with pytest.raises(InputError, match="not a clearsight KEV snapshot"):
        load_catalog(kev=broken)
