"""One camera at a time: vendor normalisation, coverage, advisory ranges, risk."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from clearsight.fleet import (
    Assessor,
    AuditOptions,
    assess_camera,
    compare_firmware,
    parse_firmware,
    shipped_catalog,
)
from clearsight.fleet._firmware import FirmwareStyle


@pytest.mark.parametrize(
    ("text", "style", "numbers", "build", "built"),
    [
        # Hikvision: build YYMMDD.
        ("V5.4.5 build 170124", "auto", (5, 4, 5), 170124, date(2017, 1, 24)),
        ("V4.30.210 build 200810", "auto", (4, 30, 210), 200810, date(2020, 8, 10)),
        ("V5.7.15 build 20230301", "auto", (5, 7, 15), 20230301, date(2023, 3, 1)),
        # Dahua: ".R" release mark, build date as text or as the .R.YYMMDD suffix.
        (
            "V2.800.0000000.25.R, Build Date: 2021-05-13",
            "auto",
            (2, 800, 0, 25),
            None,
            date(2021, 5, 13),
        ),
        ("2.800.0000000.29.R.210630", "auto", (2, 800, 0, 29), 210630, date(2021, 6, 30)),
        ("V4.001.0000005.1.R.210709", "auto", (4, 1, 5, 1), 210709, date(2021, 7, 9)),
        # Amcrest (Dahua-made): letters inside the version, 8-digit .R. build.
        ("V2.420.AC00.18.R.20200217", "auto", (2, 420, "ac", 0, 18), 20200217, date(2020, 2, 17)),
        ("V2.623.00AC004.0.R.200316", "auto", (2, 623, 0, "ac", 4, 0), 200316, date(2020, 3, 16)),
        # Reolink: _YYMMDDnn, a date plus a build of the day, only when the vendor says so.
        ("v3.0.0.136_20121102", "yymmddnn", (3, 0, 0, 136), 20121102, date(2020, 12, 11)),
        ("v3.0.0.494_21073000", "yymmddnn", (3, 0, 0, 494), 21073000, date(2021, 7, 30)),
        ("2.21.02_20230810", "auto", (2, 21, 2), None, date(2023, 8, 10)),
        # D-Link, AVTECH, Digiever.
        ("2.60B15", "auto", (2, 60, "b", 15), None, None),
        ("FullImg-1023-1007-1011-1009", "auto", (1023, 1007, 1011, 1009), None, None),
        ("3.1.0.71-11", "auto", (3, 1, 0, 71), None, None),
        ("", "auto", (), None, None),
        ("build 991399", "auto", (), 991399, None),  # impossible date: no date, never a guess
        ("V5.5.0 build 991231", "auto", (5, 5, 0), 991231, None),  # 2099: not a date either
    ],
)
def test_firmware_strings_parse(
    text: str,
    style: FirmwareStyle,
    numbers: tuple[int | str, ...],
    build: int | None,
    built: date | None,
) -> None:
    parsed = parse_firmware(text, style)
    assert (parsed.numbers, parsed.build, parsed.built) == (numbers, build, built)


@pytest.mark.parametrize(
    ("left", "right", "style", "order"),
    [
        # 6- and 8-digit Hikvision builds compare as dates, never as integers.
        ("V5.4.0 build 20160601", "V5.4.0 build 160530", "auto", 1),
        ("V5.4.0 build 160601", "V5.4.0 build 20160530", "auto", 1),
        # Dahua's fixed build is an exclusive bound: equal means equal.
        ("V2.800.0000000.29.R.210630", "2.800.0000000.29.r.210630", "auto", 0),
        ("V2.800.0000000.29.R, Build Date: 2021-06-30", "2.800.0000000.29.r.210630", "auto", 0),
        ("V2.800.0000000.29.R, Build Date: 2021-06-29", "2.800.0000000.29.r.210630", "auto", -1),
        ("V2.800.0000000.25.R, Build Date: 2021-06-30", "2.800.0000000.29.r.210630", "auto", -1),
        ("V2.420.AC00.17.R.20190319", "v2.420.ac00.18.r.20200217", "auto", -1),
        ("v3.0.0.136_20121102", "v3.0.0.136_20121102", "yymmddnn", 0),
        ("v3.0.0.136_20121103", "v3.0.0.136_20121102", "yymmddnn", 1),
        ("2.60B14", "2.60b15", "auto", -1),
        ("2.70", "2.60B15", "auto", 1),
        ("V5.4.0 build 991231", "V5.4.0 build 160530", "auto", None),  # no date: undecidable
    ],
)
def test_firmware_comparison_table(
    left: str, right: str, style: FirmwareStyle, order: int | None
) -> None:
    assert compare_firmware(parse_firmware(left, style), parse_firmware(right, style)) == order


def test_firmware_comparison_uses_builds_and_admits_ignorance() -> None:
    bound = parse_firmware("V5.4.0 build 160530")
    assert compare_firmware(parse_firmware("V5.4.0 build 160531"), bound) == 1
    assert compare_firmware(parse_firmware("V5.4.0 build 160530"), bound) == 0
    assert compare_firmware(parse_firmware("V5.3.9 build 170101"), bound) == -1
    assert compare_firmware(parse_firmware("V5.4.0"), bound) is None
    assert compare_firmware(parse_firmware("V5.4.0 build 1"), parse_firmware("V5.4")) == 0


@pytest.mark.parametrize(
    ("vendor", "name", "coverage", "made_by"),
    [
        ("Hangzhou Hikvision Digital Technology Co., Ltd.", "Hikvision", "covered", None),
        ("  HIKVISION ", "Hikvision", "covered", None),
        (
            "Prama Hikvision India",
            "Prama Hikvision (Hikvision joint venture, India)",
            "covered",
            "Hikvision",
        ),
        ("LTS", "LTS (LT Security)", "covered", "Hikvision"),
        ("Nelly's Security", "Nelly's Security", "covered", "Hikvision"),
        ("Amcrest Technologies", "Amcrest", "possible", "Dahua"),  # many models claim NDAA
        ("HIKMICRO", "HIKMICRO (Hikvision subsidiary)", "covered", "Hikvision"),
        ("Loryta", "Loryta", "covered", "Dahua"),
        ("LaView", "LaView", "possible", "Hikvision"),
        ("IndigoVision", "IndigoVision", "possible", None),  # maker not named: still possible
        ("DJI", "DJI", "covered", None),  # FCC Covered List, 2025-12-22
        ("GeoVision Inc.", "GeoVision", "not_covered", None),
        ("EZVIZ Inc.", "EZVIZ (Hikvision subsidiary)", "covered", "Hikvision"),
        ("HiSilicon", "HiSilicon (Huawei subsidiary)", "covered", "Huawei"),
        ("ZTE Corporation", "ZTE", "covered", None),
        ("Hytera", "Hytera", "covered", None),
        ("Lorex Technology Inc.", "Lorex", "possible", "Dahua"),
        ("Axis Communications AB", "Axis Communications", "not_covered", None),
        ("Samsung Techwin", "Hanwha Vision", "not_covered", None),
        ("Hikvisionary Optics", "Hikvisionary Optics", "unknown", None),  # no whole-word match
    ],
)
def test_vendor_normalisation_and_coverage(
    vendor: str, name: str, coverage: str, made_by: str | None
) -> None:
    result = assess_camera(vendor, "", "")
    assert result.vendor.name == name
    assert result.coverage == coverage
    assert result.covered is (coverage == "covered")
    assert result.vendor.made_by == made_by


def test_every_relabel_names_its_public_source() -> None:
    catalog = shipped_catalog()
    relabels = [vendor for vendor in catalog.vendors if vendor.relation != "manufacturer"]
    assert len(relabels) >= 10
    for vendor in relabels:
        assert vendor.source and vendor.recorded, vendor.id
    oem = {vendor.id for vendor in relabels if vendor.relation == "oem"}
    assert {"lts", "annke", "loryta"} <= oem


def test_covered_vendors_follow_section_889() -> None:
    covered = {vendor.id for vendor in shipped_catalog().vendors if vendor.covered_basis}
    assert covered == {"hikvision", "dahua", "hytera", "huawei", "zte", "dji", "autel-robotics"}


@pytest.mark.parametrize(
    ("model", "firmware", "certain", "possible"),
    [
        # ICSA-17-124-01: DS-2CD2xx2F-I from V5.2.0 build 140721 to V5.4.0 build 160530.
        ("DS-2CD2132F-IS", "V5.2.0 build 140721", {"CVE-2017-7921"}, set()),
        ("DS-2CD2132F-IS", "V5.2.0 build 140720", set(), set()),
        # F-series cameras are not in NVD's CVE-2021-36260 list.
        ("DS-2CD2132F-IS", "V5.4.0 build 160530", {"CVE-2017-7921"}, set()),
        ("DS-2CD2132F-IS", "V5.4.0 build 160531", set(), set()),
        ("DS-2CD2132F-IS", "V5.4.0", set(), {"CVE-2017-7921"}),
        # HSRC-202109-01: first fixed build V5.5.800 build 210628.
        ("DS-2CD2143G2-I", "V5.5.800 build 210628", set(), set()),
        ("DS-2CD2143G2-I", "V5.5.0 build 210627", {"CVE-2021-36260"}, set()),
        ("DS-2CD2143G2-I", "", set(), {"CVE-2021-36260"}),
        ("ds-2cd2143g2-i", "V5.5.0 build 200101", {"CVE-2021-36260"}, set()),
    ],
)
def test_hikvision_advisory_ranges(
    model: str, firmware: str, certain: set[str], possible: set[str]
) -> None:
    result = assess_camera("Hikvision", model, firmware)
    assert set(result.advisory_ids) == certain
    assert {advisory.id for advisory in result.possible_advisories} == possible


def test_dahua_matches_nvd_fixed_builds_per_family() -> None:
    # IPC-HX3xxx: NVD's fixed build 2.800.0000000.29.R.210630 is exclusive.
    old = assess_camera(
        "Dahua", "DH-IPC-HFW3441T-ZAS", "V2.800.0000000.25.R, Build Date: 2021-05-13"
    )
    fixed = assess_camera("Dahua", "DH-IPC-HFW3441T-ZAS", "V2.800.0000000.29.R.210630")
    assert old.advisory_ids == ("CVE-2021-33044", "CVE-2021-33045")
    assert fixed.advisory_ids == ()
    assert all(advisory.in_kev for advisory in old.advisories)
    assert old.advisories[0].kev_date_added == date(2024, 8, 21)
    # 1-series cameras are in neither CVE; recorders only in 33045; SD domes only in 33044.
    assert assess_camera("Dahua", "IPC-HFW1230S", "V2.800.0000000.16.R.210101").advisory_ids == ()
    nvr = assess_camera("Dahua", "DHI-NVR4108HS-4KS2", "V4.001.0000000.1.R.210101")
    assert nvr.advisory_ids == ("CVE-2021-33045",)
    dome = assess_camera("Dahua", "SD22404T-GN", "V2.812.0000007.0.R.210101")
    assert dome.advisory_ids == ("CVE-2021-33044",)


def test_advisories_follow_the_maker_not_the_label() -> None:
    # A Hikvision OEM box that reports a Hikvision model runs Hikvision firmware.
    relabelled = assess_camera("LTS", "DS-2CD2032F-I", "V5.3.0 build 150101")
    assert relabelled.advisory_ids == ("CVE-2017-7921",)
    # An Axis camera with a look-alike model name does not.
    assert assess_camera("Axis", "DS-2CD2032F-I", "V5.3.0 build 150101").advisory_ids == ()


def test_risk_orders_what_matters() -> None:
    as_of = AuditOptions(as_of=date(2026, 11, 30))
    assessor = Assessor(shipped_catalog(), as_of)
    worst = assessor.assess(
        "Hikvision", "DS-2CD2132F-IS", "V5.3.0 build 151016", internet="yes", credentials="default"
    )
    covered_clean = assessor.assess(
        "Hikvision", "DS-2CD2143G2-I", "V5.7.3 build 251001", internet="no", credentials="changed"
    )
    clean = assessor.assess("Axis", "P3245-LVE", "11.11.73", internet="no", credentials="changed")
    unknown = assessor.assess("Axis", "P3245-LVE", "11.11.73")
    assert worst.risk > covered_clean.risk > clean.risk
    assert unknown.risk > clean.risk == 0
    assert worst.level == "critical" and clean.level == "low"
    assert any("CVE-2017-7921 (in CISA KEV since 2026-03-05)" in reason for reason in worst.reasons)
    assert any("internet" in reason for reason in worst.reasons)


def test_firmware_age_is_configurable() -> None:
    built_2020 = "V5.6.0 build 200514"
    young = Assessor(
        shipped_catalog(), AuditOptions(as_of=date(2021, 1, 1), firmware_max_age_days=365)
    )
    old = Assessor(
        shipped_catalog(), AuditOptions(as_of=date(2022, 1, 1), firmware_max_age_days=365)
    )
    assert young.assess("Annke", "C800", built_2020).firmware_outdated is False
    assert old.assess("Annke", "C800", built_2020).firmware_outdated is True
    explicit = old.assess("Axis", "P3245", "10.0", firmware_date=date(2021, 12, 1))
    assert explicit.firmware_age_days == 31 and explicit.firmware_outdated is False


def test_assessment_is_frozen() -> None:
    result = assess_camera("Dahua", "IPC-HFW2431S", "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.risk = 0  # type: ignore[misc]
