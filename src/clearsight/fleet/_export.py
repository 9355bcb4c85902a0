"""The audit as JSON and as a self-contained HTML page."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import jinja2

from clearsight.errors import InputError
from clearsight.fleet._advisories import AdvisoryMatch
from clearsight.fleet._audit import FleetCamera, FleetReport, zone_conflict

JsonObject = dict[str, Any]  # JSON output only; typed values stay dataclasses inside the code.


def _advisory(match: AdvisoryMatch) -> JsonObject:
    return {
        "id": match.id,
        "title": match.title,
        "in_kev": match.in_kev,
        "kev_date_added": match.kev_date_added.isoformat() if match.kev_date_added else None,
        "kev_ransomware_use": match.kev_ransomware,
        "exploitation_reported_elsewhere": match.exploitation_reported,
        "known_exploited": match.known_exploited,
        "certain": match.certain,
        "range_basis": match.basis,
        "range_reason": match.reason,
        "cpe": list(match.cpe),
        "nvd_last_modified": match.nvd_last_modified,
        "fixed_firmware": match.fixed_firmware,
        "source": match.source,
        "url": match.url,
    }


@functools.lru_cache(maxsize=4096)
def _advisory_text(match: AdvisoryMatch) -> str:
    # The same few advisory details recur on thousands of cameras: encode each once.
    return json.dumps(_advisory(match))


def _camera_text(camera: FleetCamera) -> str:
    """``_camera`` as JSON text, its advisory details encoded once per advisory match."""
    fields = _camera(camera, details=False)
    assessment = camera.assessment
    details = ", ".join(
        _advisory_text(match) for match in assessment.advisories + assessment.possible_advisories
    )
    return json.dumps(fields)[:-1] + f', "advisory_details": [{details}]}}'


def _camera(camera: FleetCamera, details: bool = True) -> JsonObject:
    record, assessment = camera.record, camera.assessment
    vendor = assessment.vendor
    return {
        "name": record.name,
        "site": record.site,
        "ip": record.ip,
        "line": record.line,
        "vendor": vendor.name,
        "vendor_input": record.vendor,
        "vendor_id": vendor.vendor_id,
        "made_by": vendor.made_by,
        "relation": vendor.relation,
        "covered": assessment.covered,
        "coverage": assessment.coverage,
        "coverage_basis": list(vendor.basis),
        "vendor_source": vendor.source,
        "model": record.model,
        "firmware": record.firmware,
        "firmware_built": assessment.firmware_built.isoformat()
        if assessment.firmware_built
        else None,
        "firmware_age_days": assessment.firmware_age_days,
        "firmware_outdated": assessment.firmware_outdated,
        "advisories": list(assessment.advisory_ids),
        "possible_advisories": [match.id for match in assessment.possible_advisories],
        **(
            {
                "advisory_details": [
                    _advisory(match)
                    for match in assessment.advisories + assessment.possible_advisories
                ]
            }
            if details
            else {}
        ),
        "zone": record.zone,
        "zone_conflict": zone_conflict(record),
        "internet": assessment.internet,
        "internet_exposed": assessment.internet == "yes",
        "credentials": assessment.credentials,
        "risk": assessment.risk,
        "risk_level": assessment.level,
        "risk_points": assessment.points,
        "reasons": list(assessment.reasons),
    }


def _meta(report: FleetReport) -> JsonObject:
    return {
        "summary": dataclasses.asdict(report.summary),
        "problems": [
            {"line": problem.line, "reason": problem.reason} for problem in report.problems
        ],
        "audit": {
            "source": report.source,
            "inventory_format": report.inventory_format,
            "as_of": report.as_of.isoformat(),
            "firmware_max_age_days": report.firmware_max_age_days,
            "vendors_version": report.vendors_version,
            "vendors_update": report.vendors_update,
            "advisories_version": report.advisories_version,
            "advisory_update": report.advisory_update,
            "kev_catalog_version": report.kev_version,
            "kev_source": report.kev_source,
            "kev_age_days": report.kev_age_days,
            "kev_stale": report.kev_stale,
        },
    }


def report_to_json(report: FleetReport) -> JsonObject:
    """The audit in the JSON shape the issue asks for, with more detail alongside."""
    return {"cameras": [_camera(camera) for camera in report.cameras], **_meta(report)}


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write report: {error.strerror}") from error


def write_json(report: FleetReport, path: Path) -> None:
    """The same document as ``report_to_json``, one camera per line, written camera by camera
    (a 100,000-camera report is never built in memory as one object or one string)."""
    try:
        with path.open("w", encoding="utf-8") as handle:
            handle.write('{"cameras": [\n')
            for index, camera in enumerate(report.cameras):
                handle.write((",\n" if index else "") + _camera_text(camera))
            handle.write("\n]")
            for key, value in _meta(report).items():
                handle.write(f",\n{json.dumps(key)}: {json.dumps(value, indent=1)}")
            handle.write("\n}\n")
    except OSError as error:
        raise InputError(f"{path}: cannot write report: {error.strerror}") from error


HTML_ROWS = 5000  # a browser page, not a database: the JSON report has every camera


def render_html(report: FleetReport) -> str:
    """One HTML page with inline styles: no scripts, fonts or stylesheets from elsewhere. It
    lists the riskiest ``HTML_ROWS`` cameras and says how many more the JSON report holds."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("clearsight.fleet", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = environment.get_template("fleet_report.html")
    shown = report.cameras[:HTML_ROWS]
    data = {"cameras": [_camera(camera) for camera in shown], **_meta(report)}
    return template.render(report=report, data=data, hidden=len(report.cameras) - len(shown))


def write_html(report: FleetReport, path: Path) -> None:
    _write(path, render_html(report))
