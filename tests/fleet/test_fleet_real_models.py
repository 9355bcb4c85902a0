"""Real camera, NVR and DVR models with the CVEs KEV and NVD say apply to them.

Every row names a real model and the public record its expectation comes from: the NVD record
of the CVE (its CPE configuration or description, read from the NVD JSON feeds), the CISA ICS
advisory or the vendor advisory. Firmware strings are written the way each vendor prints them.
``definite`` are CVEs whose range the firmware falls in; ``possible`` are CVEs whose model list
includes the model but whose firmware range cannot be decided (none known, or no firmware).
The expectations were written from those sources, not from clearsight's data files.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from clearsight.fleet import (
    AuditOptions,
    CameraAssessment,
    _export,
    audit_inventory,
    load_catalog,
    read_inventory,
    render_html,
    report_to_json,
    write_json,
)


@dataclass(frozen=True)
class RealCamera:
    vendor: str
    model: str
    firmware: str
    definite: frozenset[str]
    possible: frozenset[str]
    source: str


def _c(
    vendor: str, model: str, firmware: str, definite: str, possible: str, source: str
) -> RealCamera:
    return RealCamera(
        vendor, model, firmware, frozenset(definite.split()), frozenset(possible.split()), source
    )


REAL_CAMERAS = (
    # Hikvision
    _c("Hikvision", "DS-2CD2032F-I", "V5.3.0 build 151016", "CVE-2017-7921", "",
       "NVD CVE-2017-7921: DS-2CD2xx2F-I V5.2.0 build 140721 to V5.4.0 build 160530; "
       "F-series is not in NVD's CVE-2021-36260 list"),
    _c("Hikvision", "DS-2CD2142FWD-I", "V5.4.1 build 160525", "CVE-2017-7921", "",
       "NVD CVE-2017-7921: DS-2CD2xx2FWD V5.3.1 build 150410 to V5.4.4 build 161125; "
       "not in CVE-2021-36260 (issue 17 false positive)"),
    _c("Hikvision", "DS-2DE4425IW-DE", "V5.6.0 build 190722", "", "",
       "NVD CVE-2021-36260 lists no DS-2DE model; CVE-2017-7921 lists DS-2DF only"),
    _c("Hikvision", "DS-2CD2143G2-I", "V5.5.0 build 200819", "CVE-2021-36260", "",
       "NVD CVE-2021-36260 CPE hikvision:ds-2cd2143g2-i(s)_firmware; HSRC-202109-01 first fixed "
       "camera build V5.5.800 build 210628"),
    _c("Hikvision", "DS-2CD2143G2-I", "", "", "CVE-2021-36260",
       "NVD CVE-2021-36260 (model listed; no firmware in the inventory)"),
    _c("Hikvision", "DS-7608NI-K1/8P", "V4.30.210 build 200810", "CVE-2021-36260", "",
       "NVD CVE-2021-36260 CPE hikvision:ds-7608ni-k1/8p/4g_firmware 4.30.210 to 4.31.000"),
    _c("Hikvision", "DS-2TD1217B-3/PA", "V5.5.3 build 200602", "CVE-2021-36260", "",
       "NVD CVE-2021-36260 CPE hikvision:ds-2td1217b-3/pa_firmware (thermal)"),
    # Dahua
    _c("Dahua", "IPC-HFW1230S", "V2.800.0000000.16.R.200921", "", "",
       "NVD CVE-2021-33044/33045 list IPC-HX3xxx and HX5xxx, not the 1-series"),
    _c("Dahua", "IPC-HDW3441T-ZAS", "V2.800.0000000.25.R, Build Date: 2021-05-13",
       "CVE-2021-33044 CVE-2021-33045", "",
       "NVD CVE-2021-33044/33045 CPE dahuasecurity:ipc-hx3xxx_firmware before "
       "2.800.0000000.29.r.210630"),
    _c("Dahua", "IPC-HDW3441T-ZAS", "V2.800.0000000.29.R.210630", "", "",
       "NVD CVE-2021-33044/33045: 2.800.0000000.29.r.210630 is the first fixed build "
       "(versionEndExcluding)"),
    _c("Dahua", "DHI-NVR4108HS-4KS2", "V4.001.0000000.1.R.201218", "CVE-2021-33045", "",
       "NVD CVE-2021-33045 CPE dahuasecurity:nvr-4xxx_firmware before 4.001.0000005.1.r.210713; "
       "CVE-2021-33044 lists no recorders"),
    _c("Dahua", "SD22404T-GN", "V2.812.0000007.0.R.210601", "CVE-2021-33044", "",
       "NVD CVE-2021-33044 CPE dahuasecurity:sd22_firmware before 2.812.0000007.0.r.210706; "
       "CVE-2021-33045 lists no SD models"),
    # Amcrest (advisory filed under the OEM brand)
    _c("Amcrest", "IP2M-841B", "V2.420.AC00.17.R.20190319", "CVE-2020-5735", "",
       "NVD CVE-2020-5735 CPE amcrest:ip2m-841_firmware before v2.420.ac00.18.r.20200217"),
    _c("Amcrest", "AMDV10814-H5", "V3.218.0000000.0.R.180502", "", "CVE-2020-5735",
       "NVD CVE-2020-5735 CPE amcrest:amdv10814-h5_firmware without a version"),
    # Reolink
    _c("Reolink", "RLC-410W", "v3.0.0.136_20121102", "CVE-2021-40407", "CVE-2019-11001",
       "NVD CVE-2021-40407 CPE reolink:rlc-410w_firmware:3.0.0.136_20121102; NVD CVE-2019-11001 "
       "'through 1.0.227' cannot be compared with Reolink's numbering"),
    _c("Reolink", "RLC-511W", "v3.0.0.660_21110300", "", "CVE-2019-11001",
       "NVD CVE-2019-11001 CPE reolink:rlc-511w_firmware; not in CVE-2021-40407"),
    # D-Link
    _c("D-Link", "DCS-930L", "2.11", "CVE-2016-11021", "",
       "NVD CVE-2016-11021 CPE dlink:dcs-930l_firmware before 2.12"),
    _c("D-Link", "DCS-2530L", "1.05.05", "CVE-2020-25078 CVE-2020-25079", "",
       "NVD CVE-2020-25078/25079 CPE dlink:dcs-2530l_firmware through 1.05.05"),
    _c("D-Link", "DCS-2670L", "2.02", "CVE-2020-25078 CVE-2020-25079", "",
       "NVD CVE-2020-25078/25079 CPE dlink:dcs-2670l_firmware through 2.02"),
    _c("D-Link", "DNR-322L", "2.60B15", "CVE-2022-40799", "",
       "NVD CVE-2022-40799 CPE dlink:dnr-322l_firmware through 2.60b15"),
    # Edimax, GeoVision, NUUO, TVT, QNAP, PTZOptics, Digiever
    _c("Edimax", "IC-7100", "1.09", "CVE-2025-1316", "",
       "NVD CVE-2025-1316 CPE edimax:ic-7100_firmware (all versions); CISA ICSA-25-063-08"),
    _c("GeoVision", "GV-VS12", "", "CVE-2024-11120", "",
       "NVD CVE-2024-11120 CPE geovision:gv-vs12_firmware; end of life, no fix"),
    _c("GeoVision", "GV-FD2410", "", "CVE-2024-6047", "",
       "NVD CVE-2024-6047 CPE geovision:gv_ipcamd_gv_fd2410_firmware; end of life, no fix"),
    _c("NUUO", "NVRmini2", "3.11.0", "CVE-2022-23227", "",
       "NVD CVE-2022-23227 CPE nuuo:nvrmini2_firmware through 3.11.0"),
    _c("NUUO", "NVRmini", "2.0.0", "CVE-2018-14933", "",
       "NVD CVE-2018-14933 CPE nuuo:nvrmini_firmware; NUUO end-of-life letter"),
    _c("TVT", "NVMS-1000", "", "", "CVE-2019-20085",
       "NVD CVE-2019-20085 CPE tvt:nvms-1000 without a version"),
    _c("QNAP", "VS-2108L", "QVR 4.1.3", "CVE-2023-47565", "",
       "NVD CVE-2023-47565 CPE qnap:qvr_firmware 4.0.0 to before 5.0.0; QNAP QSA-23-48"),
    _c("PTZOptics", "PT30X-SDI", "6.3.34", "CVE-2024-8956 CVE-2024-8957", "",
       "NVD CVE-2024-8956/8957 CPE ptzoptics:pt30x-sdi_firmware before 6.3.40"),
    _c("PTZOptics", "PT30X-NDI-GY", "6.3.40", "", "",
       "NVD CVE-2024-8956/8957: 6.3.40 is the first fixed firmware"),
    _c("Digiever", "DS-2105 Pro", "3.1.0.71-11", "CVE-2023-52163", "",
       "NVD CVE-2023-52163 description: DS-2105 Pro 3.1.0.71-11"),
    # AVTECH (exploited, not in KEV 2026.08.21) and a vendor with no listed flaw
    _c("AVTECH", "AVM1203", "FullImg-1023-1007-1011-1009", "CVE-2024-7029", "",
       "CISA ICSA-24-214-07: AVM1203 firmware up to FullImg-1023-1007-1011-1009"),
    _c("Axis Communications", "P3245-LVE", "10.12.114", "", "",
       "no Axis entry in KEV catalog 2026.08.21"),
)  # fmt: skip

KEV_VERSION = "2026.08.21"
NOT_IN_KEV = {"CVE-2024-7029"}


def test_the_inventory_is_wide_enough() -> None:
    models = {(camera.vendor, camera.model) for camera in REAL_CAMERAS}
    vendors = {camera.vendor for camera in REAL_CAMERAS}
    assert len(models) >= 25 and len(vendors) >= 10
    assert all(camera.source for camera in REAL_CAMERAS)


def _write(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("name", "vendor", "model", "firmware"))
        for index, camera in enumerate(REAL_CAMERAS):
            writer.writerow((f"real-{index:02d}", camera.vendor, camera.model, camera.firmware))


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CameraAssessment]:
    path = tmp_path_factory.mktemp("real") / "real.csv"
    _write(path)
    catalog = load_catalog(kev=None)
    assert catalog.kev.catalogVersion == KEV_VERSION
    report = audit_inventory(read_inventory(path), catalog, AuditOptions(as_of=date(2026, 12, 6)))
    return {camera.record.name: camera.assessment for camera in report.cameras}


@pytest.mark.parametrize(
    "index",
    range(len(REAL_CAMERAS)),
    ids=[f"{c.vendor} {c.model} {c.firmware}" for c in REAL_CAMERAS],
)
def test_each_real_model_gets_exactly_its_cves(
    index: int, audited: dict[str, CameraAssessment]
) -> None:
    camera = REAL_CAMERAS[index]
    assessment = audited[f"real-{index:02d}"]
    definite = {match.id for match in assessment.advisories}
    possible = {match.id for match in assessment.possible_advisories}
    assert (definite, possible) == (set(camera.definite), set(camera.possible)), camera.source
    for match in (*assessment.advisories, *assessment.possible_advisories):
        assert match.in_kev is (match.id not in NOT_IN_KEV)
        assert (match.kev_date_added is not None) is match.in_kev
        if not match.in_kev:
            assert match.exploitation_reported  # exploited, said apart from KEV


def test_every_kev_camera_entry_has_an_advisory_with_nvd_provenance() -> None:
    catalog = load_catalog(kev=None)
    recorded = {advisory.id: advisory for advisory in catalog.advisories}
    kev_ids = {entry.cveID for entry in catalog.kev.vulnerabilities}
    assert len(kev_ids) == 21
    assert kev_ids <= set(recorded) and not (kev_ids & catalog.kev_only_ids)
    for cve in kev_ids:
        for spec in recorded[cve].affected:
            assert spec.nvd_last_modified, cve
            assert spec.basis == "exact" or spec.reason, cve


def test_the_streamed_json_report_is_the_report_document(tmp_path: Path) -> None:
    path = tmp_path / "real.csv"
    _write(path)
    report = audit_inventory(read_inventory(path), load_catalog(kev=None), AuditOptions())
    out = tmp_path / "audit.json"
    write_json(report, out)
    assert json.loads(out.read_text()) == json.loads(json.dumps(report_to_json(report)))
    first = json.loads(out.read_text().splitlines()[1].rstrip(","))  # one camera per line
    assert first["name"] == report.cameras[0].record.name


def test_html_lists_the_riskiest_cameras_and_says_how_many_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "real.csv"
    _write(path)
    report = audit_inventory(read_inventory(path), load_catalog(kev=None), AuditOptions())
    monkeypatch.setattr(_export, "HTML_ROWS", 5)
    page = render_html(report)
    assert f"{len(report.cameras) - 5} more are in the JSON report" in page
    assert report.cameras[0].record.name in page and report.cameras[-1].record.name not in page
    assert "in CISA KEV since" in page and "CISA KEV catalog 2026.08.21" in page
