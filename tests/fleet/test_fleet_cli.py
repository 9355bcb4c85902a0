"""``clearsight fleet audit`` and ``discover`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fleet_inventory_gen import AS_OF, expected, generate, with_bad_rows, write_csv
from fleet_onvif_sim import DeviceSpec, SimulatedOnvifDevice
from typer.testing import CliRunner

import clearsight.cli.fleet_commands  # noqa: F401  (registers the fleet group)
from clearsight.cli._app import app

runner = CliRunner()


def _audit(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["fleet", "audit", *args, "--as-of", AS_OF.isoformat()])
    return result.exit_code, result.stdout, result.stderr


def test_audit_writes_json_and_html_and_reports_bad_rows(tmp_path: Path) -> None:
    rows = generate(1725)
    all_rows, bad_lines = with_bad_rows(rows)
    inventory = tmp_path / "fleet.csv"
    write_csv(inventory, all_rows)
    json_out, html_out = tmp_path / "audit.json", tmp_path / "audit.html"
    code, out, err = _audit(str(inventory), "--json", str(json_out), "--html", str(html_out))
    assert code == 0, err
    for line in bad_lines:
        assert f"{inventory}:{line}: skipped:" in err
    data = json.loads(json_out.read_text())
    want = expected(rows)
    assert data["summary"]["cameras"] == 1725
    assert data["summary"]["covered"] == want.covered
    assert data["summary"]["with_advisories"] == want.with_advisories
    assert data["summary"]["internet_exposed"] == want.internet_exposed
    assert len(data["problems"]) == len(bad_lines)
    assert html_out.read_text().startswith("<!doctype html>")
    assert "1725 cameras" in out and "Cameras ranked by risk" in out


def test_every_row_bad_is_an_error(tmp_path: Path) -> None:
    inventory = tmp_path / "fleet.csv"
    inventory.write_text("name,vendor,ip\na,Axis,nope\nb,,10.0.0.1\n", encoding="utf-8")
    code, _, err = _audit(str(inventory))
    assert code == 2
    assert f"{inventory}:2: skipped:" in err and f"{inventory}:3: skipped:" in err
    assert err.strip().splitlines()[-1].startswith("clearsight: error:")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("absent.csv", None, "no such inventory file"),
        ("fleet.xlsx", "PK", "unsupported inventory format"),
        ("fleet.json", "{", "not a JSON inventory"),
    ],
)
def test_file_errors_are_one_line(
    tmp_path: Path, name: str, content: str | None, fragment: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, _, err = _audit(str(path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and fragment in err


def test_advisory_update_option(tmp_path: Path) -> None:
    inventory = tmp_path / "fleet.csv"
    inventory.write_text(
        "name,vendor,model,firmware\nlobby,Axis,P3245-LVE,10.12.1\n", encoding="utf-8"
    )
    update = tmp_path / "update.json"
    update.write_text(json.dumps({"schema": 2, "version": "2099.01.01", "advisories": [{
        "id": "TEST-1", "vendor": "axis", "title": "test flaw",
        "exploitation_reported": "test report", "source": "test", "recorded": "2099-01-01",
        "affected": [{"models": ["P32.*"], "fixed": "11.0", "basis": "exact"}]}]}))  # fmt: skip
    out = tmp_path / "audit.json"
    code, _, err = _audit(str(inventory), "--advisories", str(update), "--json", str(out))
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["cameras"][0]["advisories"] == ["TEST-1"]
    detail = data["cameras"][0]["advisory_details"][0]
    assert detail["in_kev"] is False and detail["exploitation_reported_elsewhere"] == "test report"
    assert data["audit"]["advisories_version"] == "2099.01.01"
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({"schema": 2, "version": "2000.01.01", "advisories": []}))
    code, _, err = _audit(str(inventory), "--advisories", str(stale))
    assert code == 2 and "older than the shipped" in err


def test_discover_writes_an_inventory_the_audit_reads(tmp_path: Path) -> None:
    hik = DeviceSpec(name="Gate", serial="HIK1")
    dahua = DeviceSpec(
        manufacturer="Dahua",
        model="IPC-HFW3441T-ZS",
        firmware="V2.800.0000000.25.R, Build Date: 2021-05-13",
        serial="DAH1",
        name="Yard",
    )
    out = tmp_path / "found.csv"
    with SimulatedOnvifDevice(hik) as first, SimulatedOnvifDevice(dahua) as second:
        result = runner.invoke(
            app,
            ["fleet", "discover", "--timeout", "0.5", "--out", str(out),
             "--target", first.target, "--target", second.target],
        )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "2 ONVIF devices" in result.stdout
    audit_json = tmp_path / "audit.json"
    code, _, err = _audit(str(out), "--json", str(audit_json))
    assert code == 0, err
    cameras = {c["name"]: c for c in json.loads(audit_json.read_text())["cameras"]}
    assert cameras["Gate"]["advisories"] == ["CVE-2017-7921"]  # F-series: not in 36260
    assert cameras["Yard"]["advisories"] == ["CVE-2021-33044", "CVE-2021-33045"]
    assert cameras["Yard"]["site"] == "Depot A" and cameras["Gate"]["ip"] == "127.0.0.1"


def test_discover_rejects_a_non_ip_target() -> None:
    result = runner.invoke(app, ["fleet", "discover", "--target", "camera.example:3702"])
    assert result.exit_code == 2 and "is not IP:PORT" in result.stderr
