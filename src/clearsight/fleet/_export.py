"""The audit as JSON and as a self-contained HTML page."""

from __future__ import annotations

import dataclasses
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


def _camera(camera: FleetCamera) -> JsonObject:
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
        "advisory_details": [
            _advisory(match) for match in assessment.advisories + assessment.possible_advisories
        ],
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


def report_to_json(report: FleetReport) -> JsonObject:
    """The audit in the JSON shape the issue asks for, with more detail alongside."""
    summary = dataclasses.asdict(report.summary)
    return {
        "cameras": [_camera(camera) for camera in report.cameras],
        "summary": summary,
        "problems": [
            {"line": problem.line, "reason": problem.reason} for problem in report.problems
        ],
        "audit": {
            "source": report.source,
            "as_of": report.as_of.isoformat(),
            "firmware_max_age_days": report.firmware_max_age_days,
            "vendors_version": report.vendors_version,
            "advisories_version": report.advisories_version,
            "advisory_update": report.advisory_update,
            "vendors_update": report.vendors_update,
            "kev_catalog_version": report.kev_version,
            "kev_source": report.kev_source,
            "kev_age_days": report.kev_age_days,
            "kev_stale": report.kev_stale,
            "inventory_format": report.inventory_format,
        },
    }


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write report: {error.strerror}") from error


def write_json(report: FleetReport, path: Path) -> None:
    _write(path, json.dumps(report_to_json(report), indent=1) + "\n")


def render_html(report: FleetReport) -> str:
    """One HTML page with inline styles: no scripts, fonts or stylesheets from elsewhere."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("clearsight.fleet", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = environment.get_template("fleet_report.html")
    return template.render(report=report, data=report_to_json(report))


def write_html(report: FleetReport, path: Path) -> None:
    _write(path, render_html(report))
