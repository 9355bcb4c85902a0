"""``clearsight fleet``: audit a camera inventory, or discover ONVIF cameras into one."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from clearsight.cli._app import app, friendly_errors
from clearsight.errors import InputError

if TYPE_CHECKING:
    from clearsight.fleet import AdvisoryMatch, FleetReport

fleet_app = typer.Typer(
    name="fleet",
    help="Camera fleet audit: covered vendors, known exploited flaws, exposed cameras.",
    no_args_is_help=True,
)
app.add_typer(fleet_app, name="fleet")

_LEVEL_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "green"}


def _advisory_label(match: AdvisoryMatch) -> str:
    """ "CVE-2021-36260 KEV 2022-01-10"; "?" marks a possible match; exploitation reported
    outside KEV is said apart."""
    label = match.id if match.certain else f"{match.id}?"
    if match.in_kev:
        return f"{label} KEV {match.kev_date_added}"
    if match.exploitation_reported:
        return f"{label} (exploited: other report)"
    return label


def _print_table(report: FleetReport, top: int, console: Console) -> None:
    table = Table(title=f"Cameras ranked by risk ({report.source})")
    for column in ("Risk", "Camera", "Site", "Vendor", "Covered"):
        table.add_column(column)
    table.add_column("Advisories", no_wrap=True)
    table.add_column("Exposure")
    shown = report.cameras if top <= 0 else report.cameras[:top]
    for camera in shown:
        record, assessment = camera.record, camera.assessment
        exposure = [
            "internet" if assessment.internet == "yes" else "",
            "default creds" if assessment.credentials == "default" else "",
            "old firmware" if assessment.firmware_outdated else "",
        ]
        advisories = [
            _advisory_label(match)
            for match in assessment.advisories + assessment.possible_advisories
        ]
        table.add_row(
            f"[{_LEVEL_STYLE[assessment.level]}]{assessment.risk} {assessment.level}[/]",
            record.name,
            record.site,
            assessment.vendor.name,
            {"covered": "YES", "possible": "maybe", "unknown": "?"}.get(assessment.coverage, "no"),
            "\n".join(advisories),
            "\n".join(item for item in exposure if item),
        )
    console.print(table)
    if len(shown) < len(report.cameras):
        console.print(f"... {len(report.cameras) - len(shown)} more (use --top 0 to list all)")
    summary = report.summary
    console.print(
        f"[bold]{summary.cameras} cameras[/]: {summary.covered} covered by NDAA s.889 / FCC "
        f"Covered List ({summary.possibly_covered} possibly), {summary.with_advisories} with "
        f"advisories ({summary.with_possible_advisories} more possibly), "
        f"{summary.internet_exposed} reachable from the internet, "
        f"{summary.default_credentials} with default credentials, "
        f"{summary.outdated_firmware} with old firmware, {summary.malformed_rows} rows left out"
    )
    levels = ", ".join(f"{level} {count}" for level, count in summary.by_level.items())
    console.print(f"Risk levels: {levels}")
    console.print(
        f"KEV catalog {report.kev_version} ({report.kev_source}, {report.kev_age_days} days "
        f"old): {summary.with_kev_advisories} cameras match a KEV entry; "
        f"{summary.with_exploited_advisories} match a flaw in KEV or reported exploited elsewhere"
    )


def _warn_stale_kev(report: FleetReport) -> None:
    if report.kev_stale:
        print(
            f"warning: the KEV snapshot in use (catalog {report.kev_version}, "
            f"{report.kev_source}) is {report.kev_age_days} days old; download the current "
            "catalog from CISA and run 'clearsight fleet update-kev FILE'",
            file=sys.stderr,
        )


@fleet_app.command("audit")
@friendly_errors
def audit_command(
    inventory: Annotated[Path, typer.Argument(help="Camera inventory, .csv or .json.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the audit as JSON.")
    ] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write an HTML report.")] = None,
    advisories: Annotated[
        Path | None,
        typer.Option(help="Advisory update file (same format, same or newer version)."),
    ] = None,
    vendors: Annotated[
        Path | None,
        typer.Option(help="Vendor and OEM update file (same format, same or newer version)."),
    ] = None,
    kev: Annotated[
        Path | None,
        typer.Option(
            help="KEV snapshot written by update-kev (default: the one update-kev saved, "
            "else the shipped one)."
        ),
    ] = None,
    max_firmware_age_days: Annotated[
        int, typer.Option(min=1, help="Firmware built longer ago than this is flagged.")
    ] = 3 * 365,
    as_of: Annotated[
        str | None, typer.Option(help="Audit date YYYY-MM-DD (default: today).")
    ] = None,
    top: Annotated[int, typer.Option(help="Rows in the terminal table; 0 lists all.")] = 20,
) -> None:
    """Audit INVENTORY: vendor coverage, matching advisories, exposure and risk per camera."""
    from clearsight.fleet import (
        AuditOptions,
        audit_inventory,
        load_catalog,
        read_inventory,
        write_html,
        write_json,
    )

    try:
        audit_date = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise InputError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    options = AuditOptions(firmware_max_age_days=max_firmware_age_days, as_of=audit_date)
    catalog = load_catalog(advisories, vendors, kev)
    parsed = read_inventory(inventory)
    print(f"{inventory}: read as {parsed.format}", file=sys.stderr)
    for problem in parsed.problems:
        print(f"{inventory}:{problem.line}: skipped: {problem.reason}", file=sys.stderr)
    if not parsed.records:
        raise InputError(
            f"{inventory}: no valid camera rows ({len(parsed.problems)} rows rejected)"
        )
    report = audit_inventory(parsed, catalog, options)
    _warn_stale_kev(report)
    if json_out:
        write_json(report, json_out)
    if html_out:
        write_html(report, html_out)
    _print_table(report, top, Console())


@fleet_app.command("discover")
@friendly_errors
def discover_command(
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for replies.")] = 3.0,
    out: Annotated[
        Path | None, typer.Option(help="Write the inventory here (.csv or .json).")
    ] = None,
    interface: Annotated[
        str | None, typer.Option(help="Local IPv4 address to send the multicast probe from.")
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(help="Probe IP:PORT by unicast instead of multicast (repeatable)."),
    ] = None,
    username: Annotated[str | None, typer.Option(help="ONVIF user for device info.")] = None,
    password: Annotated[
        str | None,
        typer.Option(envvar="CLEARSIGHT_ONVIF_PASSWORD", help="ONVIF password (or env var)."),
    ] = None,
) -> None:
    """Find ONVIF cameras (WS-Discovery) and read manufacturer, model and firmware."""
    from clearsight.fleet import (
        OnvifCredentials,
        discover,
        parse_target,
        to_records,
        write_inventory,
    )

    targets = [parse_target(text) for text in target or []]
    credentials = OnvifCredentials(username, password or "") if username else None
    devices = discover(
        timeout=timeout, targets=targets, interface=interface, credentials=credentials
    )
    console = Console()
    table = Table(title=f"{len(devices)} ONVIF devices")
    for column in ("Address", "Manufacturer", "Model", "Firmware", "Serial", "Note"):
        table.add_column(column)
    for device in devices:
        info = device.information
        table.add_row(
            device.address,
            info.manufacturer if info else "",
            info.model if info else "",
            info.firmware if info else "",
            info.serial if info else "",
            device.error or "",
        )
    console.print(table)
    if out:
        write_inventory(out, to_records(devices))
        console.print(f"Wrote {len(devices)} cameras to {out}")


@fleet_app.command("update-kev")
@friendly_errors
def update_kev_command(
    catalog: Annotated[
        Path,
        typer.Argument(help="known_exploited_vulnerabilities.json or .csv downloaded from CISA."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the camera snapshot (default: the user data folder)."),
    ] = None,
    vendors: Annotated[
        Path | None, typer.Option(help="Vendor update file used to map KEV vendor names.")
    ] = None,
) -> None:
    """Keep the camera, NVR and DVR entries of a KEV catalog from CISA for later audits."""
    from clearsight.fleet import default_kev_path, load_catalog, update_kev

    base = load_catalog(None, vendors)
    target = out or default_kev_path()
    result = update_kev(
        catalog,
        target,
        base.vendors,
        frozenset(advisory.id for advisory in base.advisories) - base.kev_only_ids,
        date.today(),
    )
    snapshot = result.snapshot
    typer.echo(
        f"KEV catalog {snapshot.catalogVersion} ({result.version_basis}): "
        f"{len(snapshot.vulnerabilities)} camera, NVR and DVR entries of {snapshot.count}; "
        f"previous snapshot {result.previous_version}; written to {result.written_to}"
    )
    for entry in result.added:
        typer.echo(
            f"  new: {entry.cveID} {entry.vendorProject} {entry.product} (added "
            f"{entry.dateAdded}, ransomware use: {entry.knownRansomwareCampaignUse})"
        )
    for entry in result.without_advisory:
        typer.echo(
            f"  possible only: {entry.cveID} ({entry.vendor_id}): no model or firmware range "
            "recorded; every camera of this vendor is reported as possibly affected"
        )
    if result.stale:
        print(
            f"warning: catalog {snapshot.catalogVersion} is {result.age_days} days old; CISA "
            "updates KEV several times a week",
            file=sys.stderr,
        )
