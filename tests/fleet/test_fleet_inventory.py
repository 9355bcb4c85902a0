"""Reading inventories: columns, values, line numbers of bad rows, whole-file errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from clearsight.errors import InputError
from clearsight.fleet import CameraRecord, read_inventory, write_inventory


def test_csv_with_aliases_and_spellings(tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(
        "Camera Name,Location,IP Address,Manufacturer,Model,Firmware Version,Network Zone,"
        "Internet Reachable,Credentials Status,Build Date,Notes\n"
        'gate,Depot,10.0.0.1,"Hikvision, Inc.",DS-2CD2132F-I,V5.3.0,closed,TRUE,factory,'
        "2016-01-02,x\n"
        "yard,Depot,fe80::1,Axis,P3245,10.1,ot,no,unique,,\n",
        encoding="utf-8",
    )
    inventory = read_inventory(path)
    assert inventory.problems == ()
    gate, yard = inventory.records
    assert (gate.name, gate.site, gate.vendor, gate.internet, gate.credentials) == (
        "gate",
        "Depot",
        "Hikvision, Inc.",
        "yes",
        "default",
    )
    assert gate.firmware_date == date(2016, 1, 2) and gate.line == 2
    assert (yard.ip, yard.internet, yard.credentials, yard.line) == ("fe80::1", "no", "changed", 3)


def test_bad_csv_rows_are_reported_by_line_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(
        "name,vendor,ip,internet,credentials,firmware_date\n"
        "a,Axis,10.0.0.1,no,changed,\n"
        "b,Axis,10.0.0.300,no,changed,\n"
        "\n"
        'c,"Multi\nline vendor",10.0.0.3,no,changed,\n'
        "d,Axis,10.0.0.4,perhaps,changed,\n"
        "e,Axis,10.0.0.5,no,changed,2021-13-01\n"
        "f,Axis,10.0.0.6\n"
        "A,Axis,10.0.0.7,no,changed,\n"
        ",Axis,10.0.0.8,no,changed,\n",
        encoding="utf-8",
    )
    inventory = read_inventory(path)
    assert [record.name for record in inventory.records] == ["a", "c"]
    assert inventory.records[1].line == 5
    lines = {problem.line: problem.reason for problem in inventory.problems}
    assert sorted(lines) == [3, 7, 8, 9, 10, 11]
    assert "10.0.0.300" in lines[3] and "perhaps" in lines[7] and "2021-13-01" in lines[8]
    assert "3 values" in lines[9] and "repeats line 2" in lines[10] and "name is empty" in lines[11]


def test_json_items_keep_their_line_numbers(tmp_path: Path) -> None:
    cameras = [
        {"name": "a", "vendor": "Dahua", "internet": True, "credentials": "default"},
        {"name": "b", "vendor": ["Dahua"]},
        "not an object",
        {"name": "c", "manufacturer": "Amcrest", "firmware": 2.8, "internet": False},
    ]
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps({"generated": "x", "cameras": cameras}, indent=2), encoding="utf-8")
    inventory = read_inventory(path)
    text_lines = path.read_text().splitlines()
    assert [record.name for record in inventory.records] == ["a", "c"]
    first, last = inventory.records
    assert text_lines[first.line - 1].strip() == "{" and '"name": "a"' in text_lines[first.line]
    assert (first.internet, first.credentials) == ("yes", "default")
    assert (last.vendor, last.firmware, last.internet) == ("Amcrest", "2.8", "no")
    reasons = [problem.reason for problem in inventory.problems]
    assert "vendor must be text, not list" in reasons[0] and "str, not an object" in reasons[1]
    assert '"name": "b"' in text_lines[inventory.problems[0].line]


def test_top_level_json_array(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    path.write_text('[\n{"name": "a", "vendor": "ZTE"},\n{"name": "b"}\n]', encoding="utf-8")
    inventory = read_inventory(path)
    assert [record.line for record in inventory.records] == [2]
    assert inventory.problems[0].line == 3 and "vendor is empty" in inventory.problems[0].reason


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fleet.txt", "name,vendor\n", "unsupported inventory format '.txt'"),
        ("fleet.csv", "", "empty"),
        ("fleet.csv", "camera,site\nx,y\n", "no vendor column"),
        ("fleet.json", '{"cameras": [{"name": "a",}]}', "line 1"),
        ("fleet.json", '{"devices": []}', "no 'cameras' array"),
        ("fleet.json", '[{"name": "a", "vendor": "x"}] trailing', "extra data"),
    ],
)
def test_whole_file_errors_are_one_line(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        read_inventory(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such inventory file"):
        read_inventory(tmp_path / "absent.csv")
    binary = tmp_path / "fleet.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(InputError, match="UTF-16"):
        read_inventory(binary)


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_written_inventory_reads_back(tmp_path: Path, suffix: str) -> None:
    records = (
        CameraRecord(name="a", vendor="Dahua", line=2, ip="10.0.0.1", internet="yes",
                     firmware_date=date(2020, 1, 1), serial="S1"),
        CameraRecord(name="b, with comma", vendor="Axis", line=3, credentials="changed"),
    )  # fmt: skip
    path = tmp_path / f"out{suffix}"
    write_inventory(path, records)
    again = read_inventory(path)
    assert again.problems == ()
    assert [dataclass_without_line(r) for r in again.records] == [
        dataclass_without_line(r) for r in records
    ]


def dataclass_without_line(record: CameraRecord) -> tuple[object, ...]:
    return (record.name, record.vendor, record.ip, record.internet, record.credentials,
            record.firmware_date, record.serial)  # fmt: skip


_ROWS = (
    ("name", "site", "vendor", "model", "firmware"),
    ("Entrée nord", "Café Müller", "Hikvision", "DS-2CD2143G2-I", "V5.5.0 build 200819"),
    ("Caisse 2", "Café Müller", "Dahua", "IPC-HDW3441T-ZAS", "V2.800.0000000.25.R"),
)


@pytest.mark.parametrize(
    ("encoding", "bom", "separator", "described"),
    [
        ("utf-8", b"", ",", "CSV, UTF-8, comma-separated"),
        ("utf-8", b"\xef\xbb\xbf", ";", "CSV, UTF-8 with BOM, semicolon-separated"),
        ("utf-16-le", b"\xff\xfe", "\t", "CSV, UTF-16 LE with BOM, tab-separated"),
        ("utf-16-be", b"\xfe\xff", ";", "CSV, UTF-16 BE with BOM, semicolon-separated"),
        ("utf-16-le", b"", ",", "CSV, UTF-16 LE, comma-separated"),  # Excel "Unicode text"
        ("cp1252", b"", ";", "CSV, cp1252, semicolon-separated"),  # Excel in a French locale
    ],
)
def test_spreadsheet_encodings_and_separators_are_detected(
    tmp_path: Path, encoding: str, bom: bytes, separator: str, described: str
) -> None:
    lines = "\r\n".join(separator.join(row) for row in _ROWS) + "\r\n"
    path = tmp_path / "fleet.csv"
    path.write_bytes(bom + lines.encode(encoding))
    inventory = read_inventory(path)
    assert inventory.format == described
    assert inventory.problems == ()
    assert [(r.name, r.site, r.model) for r in inventory.records] == [
        (row[0], row[1], row[3]) for row in _ROWS[1:]
    ]


def test_utf16_json_and_quoted_separators(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    text = '{"cameras": [{"name": "Entrée", "vendor": "Axis"}]}'
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    inventory = read_inventory(path)
    assert inventory.format == "JSON, UTF-16 LE with BOM"
    assert inventory.records[0].name == "Entrée"
    # A semicolon inside a quoted header cell does not make the file semicolon-separated.
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('name,"vendor; maker"\ncam,Axis\n', encoding="utf-8")
    with pytest.raises(InputError, match="no vendor column"):
        read_inventory(quoted)
    plain = tmp_path / "plain.csv"
    plain.write_text('name,vendor,site\ncam,Axis,"Hall; east"\n', encoding="utf-8")
    assert read_inventory(plain).records[0].site == "Hall; east"
