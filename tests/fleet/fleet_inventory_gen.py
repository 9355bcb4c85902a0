"""A generated camera inventory whose expected audit results are known from how it was built.

Each template states by hand what the audit must conclude (vendor name, coverage, advisories,
build date), read from the vendors' public advisories, not from clearsight's code. Counts are
then sums over the generated rows.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 30)
MAX_AGE_DAYS = 1095
H17, H21 = "CVE-2017-7921", "CVE-2021-36260"
D44, D45 = "CVE-2021-33044", "CVE-2021-33045"
AV = "CVE-2024-7029"


@dataclass(frozen=True)
class Template:
    vendor: str
    model: str
    firmware: str
    expected_vendor: str
    coverage: str  # covered, possible, not_covered, unknown
    advisories: frozenset[str] = field(default_factory=frozenset)
    possible: frozenset[str] = field(default_factory=frozenset)
    built: date | None = None


def _t(
    vendor: str,
    model: str,
    firmware: str,
    name: str,
    coverage: str,
    *,
    advisories: frozenset[str] | set[str] = frozenset(),
    possible: frozenset[str] | set[str] = frozenset(),
    built: date | None = None,
) -> Template:
    return Template(
        vendor, model, firmware, name, coverage, frozenset(advisories), frozenset(possible), built
    )


TEMPLATES = (
    _t("Hikvision", "DS-2CD2132F-IS", "V5.3.0 build 151016", "Hikvision", "covered",
       advisories={H17}, built=date(2015, 10, 16)),
    _t("Hangzhou Hikvision Digital Technology Co., Ltd.", "DS-2CD2142FWD-I", "V5.4.1 build 160525",
       "Hikvision", "covered", advisories={H17}, built=date(2016, 5, 25)),
    _t("HIKVISION", "DS-2CD2143G2-I", "V5.7.3 build 220112", "Hikvision", "covered",
       built=date(2022, 1, 12)),
    _t("Hikvision", "DS-2CD2047G2-L", "V5.5.0 build 190725", "Hikvision", "covered",
       advisories={H21}, built=date(2019, 7, 25)),
    _t("Hikvision", "DS-2DE4425IW-DE", "", "Hikvision", "covered"),  # no DS-2DE in NVD's list
    _t("Hikvision", "DS-2CD2032F-I", "V5.4.0 build 160530", "Hikvision", "covered",
       advisories={H17}, built=date(2016, 5, 30)),
    _t("Hikvision", "DS-2CD2032F-I", "V5.4.0 build 160531", "Hikvision", "covered",
       built=date(2016, 5, 31)),
    _t("hikvision", "DS-2CD2032F-I", "V5.4.0", "Hikvision", "covered", possible={H17}),
    _t("EZVIZ", "CS-C6N", "V5.3.0 build 210315", "EZVIZ (Hikvision subsidiary)", "covered",
       built=date(2021, 3, 15)),
    _t("LTS", "CMIP3042W-28M", "V5.5.3 build 180920", "LTS (LT Security)", "covered",
       built=date(2018, 9, 20)),
    _t("Annke", "C800", "V5.6.0 build 200514", "Annke", "covered", built=date(2020, 5, 14)),
    _t("HiWatch", "HWI-B121H", "V5.5.82 build 210812", "HiWatch (Hikvision brand)", "covered",
       built=date(2021, 8, 12)),
    _t("Dahua", "IPC-HFW2431S-S-S2", "V2.800.0000000.25.R, Build Date: 2021-05-13", "Dahua",
       "covered", built=date(2021, 5, 13)),  # 2-series: in neither CVE's NVD list
    _t("Zhejiang Dahua Technology Co., Ltd.", "DH-IPC-HDBW2431E-S-S2",
       "V2.820.0000000.5.R, Build Date: 2022-03-02", "Dahua", "covered", built=date(2022, 3, 2)),
    _t("Dahua", "NVR4208-8P-4KS2", "V4.001.0000000.3.R, Build Date: 2020-11-20", "Dahua",
       "covered", advisories={D45}, built=date(2020, 11, 20)),  # recorders: 33045 only
    _t("Dahua", "IPC-HDW3441T-ZS", "V2.800.0000000.25.R", "Dahua", "covered",
       advisories={D44, D45}),  # build .25 < NVD's fixed .29: no build date needed
    _t("Amcrest", "IP8M-2496EB", "V2.800.00AC000.0.R, Build Date: 2020-01-10", "Amcrest",
       "possible", built=date(2020, 1, 10)),
    _t("Imou", "IPC-A22EP", "2.680.0000000.18.R, Build Date: 2021-11-12", "Imou (Dahua brand)",
       "covered", built=date(2021, 11, 12)),
    _t("Lorex", "LNB8005", "V1.0.0", "Lorex", "possible"),
    _t("Honeywell", "HC30W45R3", "1.0", "Honeywell (video)", "possible"),
    _t("Axis Communications AB", "P3245-LVE", "10.12.114", "Axis Communications", "not_covered"),
    _t("Bosch", "FLEXIDOME IP 5000i", "7.80.0128", "Bosch Security Systems", "not_covered"),
    _t("Hanwha Techwin", "XNV-6080R", "2.21.02_20230810", "Hanwha Vision", "not_covered",
       built=date(2023, 8, 10)),
    _t("Samsung Techwin", "SNP-6321H", "", "Hanwha Vision", "not_covered"),
    _t("AVTECH", "AVM1203", "FullImg-1023-1007-1011-1009", "AVTECH", "not_covered",
       advisories={AV}),
    _t("AVTECH", "AVM1203", "FullImg-1023-1007-1011-1012", "AVTECH", "not_covered"),
    _t("Huawei", "M2141-10-EI", "SDC 8.0.1", "Huawei", "covered"),
    _t("ZTE", "ZXV10", "1.0", "ZTE", "covered"),
    _t("Hytera", "VM750", "", "Hytera", "covered"),
    _t("HiSilicon", "Hi3516 IPCAM", "V5.0.5.1", "HiSilicon (Huawei subsidiary)", "covered"),
    _t("Acme Vision Systems", "AV-100", "1.0", "Acme Vision Systems", "unknown"),
    _t("Uniview", "IPC322LB-SF28-A", "IPC_G6103-B0016P60D1910", "Uniview", "not_covered"),
)  # fmt: skip

SITES = tuple(f"Site {letter}" for letter in "ABCDEFGHIJKL")
INTERNET = {"yes": ("yes", "Yes", "true"), "no": ("no", "FALSE", "0"), "unknown": ("", "unknown")}
CREDENTIALS = {
    "default": ("default", "factory"),
    "changed": ("changed", "unique"),
    "unknown": ("",),
}
ZONES = ("closed", "corporate", "dmz", "")


@dataclass(frozen=True)
class GeneratedRow:
    values: dict[str, str]
    template: Template
    internet: str
    credentials: str


@dataclass(frozen=True)
class Expected:
    cameras: int
    covered: int
    possibly_covered: int
    unknown_vendor: int
    with_advisories: int
    with_possible_advisories: int
    internet_exposed: int
    default_credentials: int
    outdated_firmware: int
    zone_conflicts: int
    by_advisory: dict[str, int]
    vendors: dict[str, int]


def generate(count: int = 1725, seed: int = 7) -> list[GeneratedRow]:
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        template = rng.choice(TEMPLATES)
        internet = rng.choices(("yes", "no", "unknown"), weights=(2, 6, 2))[0]
        credentials = rng.choices(("default", "changed", "unknown"), weights=(2, 6, 2))[0]
        values = {
            "name": f"cam-{index:04d}",
            "site": rng.choice(SITES),
            # Valid for a million rows: 10.B.C.D with B, C < 250.
            "ip": f"10.{index // 62500}.{index // 250 % 250}.{rng.randint(1, 250)}",
            "vendor": template.vendor,
            "model": template.model,
            "firmware": template.firmware,
            "zone": rng.choice(ZONES),
            "internet": rng.choice(INTERNET[internet]),
            "credentials": rng.choice(CREDENTIALS[credentials]),
        }
        rows.append(GeneratedRow(values, template, internet, credentials))
    return rows


def expected(rows: list[GeneratedRow]) -> Expected:
    by_advisory: Counter[str] = Counter()
    for row in rows:
        by_advisory.update(row.template.advisories)
    return Expected(
        cameras=len(rows),
        covered=sum(row.template.coverage == "covered" for row in rows),
        possibly_covered=sum(row.template.coverage == "possible" for row in rows),
        unknown_vendor=sum(row.template.coverage == "unknown" for row in rows),
        with_advisories=sum(bool(row.template.advisories) for row in rows),
        with_possible_advisories=sum(
            bool(row.template.possible) and not row.template.advisories for row in rows
        ),
        internet_exposed=sum(row.internet == "yes" for row in rows),
        default_credentials=sum(row.credentials == "default" for row in rows),
        outdated_firmware=sum(
            row.template.built is not None and (AS_OF - row.template.built).days > MAX_AGE_DAYS
            for row in rows
        ),
        zone_conflicts=sum(
            row.values["zone"] == "closed" and row.internet == "yes" for row in rows
        ),
        by_advisory=dict(by_advisory),
        vendors=dict(Counter(row.template.expected_vendor for row in rows)),
    )


# Bad rows, each with the reason the audit must give (a fragment of it).
BAD_CSV_ROWS = (
    ({"name": "bad-ip", "vendor": "Axis", "ip": "10.0.0.999"}, "is not an IP address"),
    ({"name": "", "vendor": "Axis"}, "name is empty"),
    ({"name": "no-vendor", "vendor": ""}, "vendor is empty"),
    ({"name": "bad-internet", "vendor": "Axis", "internet": "sometimes"}, "internet 'sometimes'"),
    ({"name": "bad-creds", "vendor": "Axis", "credentials": "hunter2"}, "credentials 'hunter2'"),
    ({"name": "cam-0003", "vendor": "Axis"}, "repeats line"),
)
COLUMNS = ("name", "site", "ip", "vendor", "model", "firmware", "zone", "internet", "credentials")


def with_bad_rows(
    rows: list[GeneratedRow], positions: tuple[int, ...] = (10, 500, 1000, 1300, 1500, 1700)
) -> tuple[list[dict[str, str]], dict[int, str]]:
    """All row values with the bad rows inserted; returns the rows and {file line: reason}."""
    output = [row.values for row in rows]
    bad_lines: dict[int, str] = {}
    for position, (values, _reason) in sorted(zip(positions, BAD_CSV_ROWS, strict=True)):
        output.insert(position, {column: values.get(column, "") for column in COLUMNS})
    for index, values in enumerate(output):
        for bad_values, reason in BAD_CSV_ROWS:
            if values == {column: bad_values.get(column, "") for column in COLUMNS}:
                bad_lines[index + 2] = reason  # line 1 is the header / the opening bracket
    return output, bad_lines


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def write_json(path: Path, rows: list[dict[str, str]]) -> None:
    """One camera object per line, so item k sits on line k + 2."""
    body = ",\n".join(json.dumps(row) for row in rows)
    path.write_text('{"cameras": [\n' + body + "\n]}\n", encoding="utf-8")
