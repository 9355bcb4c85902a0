"""A 1,725-camera inventory: counts per category match what the generator put in."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fleet_inventory_gen import (
    AS_OF,
    MAX_AGE_DAYS,
    expected,
    generate,
    with_bad_rows,
    write_csv,
    write_json,
)

from clearsight.fleet import (
    AuditOptions,
    audit_inventory,
    read_inventory,
    render_html,
    report_to_json,
    shipped_catalog,
)

OPTIONS = AuditOptions(as_of=AS_OF, firmware_max_age_days=MAX_AGE_DAYS)


@pytest.mark.parametrize("writer", [write_csv, write_json], ids=["csv", "json"])
def test_counts_per_category_and_bad_rows(tmp_path: Path, writer: object) -> None:
    rows = generate(1725)
    want = expected(rows)
    all_rows, bad_lines = with_bad_rows(rows)
    path = tmp_path / ("fleet.csv" if writer is write_csv else "fleet.json")
    writer(path, all_rows)  # type: ignore[operator]

    inventory = read_inventory(path)
    report = audit_inventory(inventory, shipped_catalog(), OPTIONS)
    summary = report.summary

    assert {problem.line: problem.reason for problem in report.problems}.keys() == bad_lines.keys()
    for problem in report.problems:
        assert bad_lines[problem.line] in problem.reason
    assert summary.malformed_rows == len(bad_lines) == 6
    assert summary.cameras == want.cameras == 1725
    assert summary.covered == want.covered
    assert summary.possibly_covered == want.possibly_covered
    assert summary.unknown_vendor == want.unknown_vendor
    assert summary.with_advisories == want.with_advisories
    assert summary.with_possible_advisories == want.with_possible_advisories
    assert summary.internet_exposed == want.internet_exposed
    assert summary.default_credentials == want.default_credentials
    assert summary.outdated_firmware == want.outdated_firmware
    assert summary.zone_conflicts == want.zone_conflicts
    assert summary.by_advisory == want.by_advisory
    assert {group.name: group.cameras for group in summary.by_vendor} == want.vendors
    assert sum(summary.by_level.values()) == 1725

    # Camera by camera, against the template each row came from.
    by_name = {camera.record.name: camera.assessment for camera in report.cameras}
    for row in rows:
        got = by_name[row.values["name"]]
        assert got.vendor.name == row.template.expected_vendor
        assert got.coverage == row.template.coverage
        assert set(got.advisory_ids) == row.template.advisories
        assert {a.id for a in got.possible_advisories} == row.template.possible

    # Ranked: risk never increases down the list; uncapped points order cameras at 100.
    keys = [(camera.assessment.risk, camera.assessment.points) for camera in report.cameras]
    assert keys == sorted(keys, reverse=True)
    assert all(risk == min(100, points) for risk, points in keys)


def test_json_shape_and_html_names_covered_cameras(tmp_path: Path) -> None:
    rows = generate(1725, seed=11)
    path = tmp_path / "fleet.csv"
    write_csv(path, [row.values for row in rows])
    report = audit_inventory(read_inventory(path), shipped_catalog(), OPTIONS)

    data = report_to_json(report)
    assert set(data["summary"]) >= {"cameras", "covered", "with_advisories", "internet_exposed"}
    camera = data["cameras"][0]
    assert set(camera) >= {"name", "vendor", "covered", "advisories", "risk"}
    assert isinstance(camera["covered"], bool) and isinstance(camera["advisories"], list)
    covered_names = {c["name"] for c in data["cameras"] if c["covered"]}
    assert len(covered_names) == expected(rows).covered

    html = render_html(report)
    assert "<script" not in html and "http://" not in html.split("<body>")[0]
    assert 'rel="stylesheet"' not in html
    assert all(f"<td>{name}</td>" in html for name in covered_names)
    assert html.count('<span class="covered">covered</span>') == len(covered_names)


def test_escaping_in_html(tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text('name,vendor\n"<script>alert(1)</script>",Hikvision\n', encoding="utf-8")
    html = render_html(audit_inventory(read_inventory(path), shipped_catalog(), OPTIONS))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_sites_are_ranked_by_mean_risk(tmp_path: Path) -> None:
    rows = generate(300, seed=3)
    path = tmp_path / "fleet.csv"
    write_csv(path, [row.values for row in rows])
    report = audit_inventory(read_inventory(path), shipped_catalog(), OPTIONS)
    sites = report.summary.by_site
    assert [site.mean_risk for site in sites] == sorted((s.mean_risk for s in sites), reverse=True)
    counts = Counter(row.values["site"] for row in rows)
    assert {site.name: site.cameras for site in sites} == dict(counts)
