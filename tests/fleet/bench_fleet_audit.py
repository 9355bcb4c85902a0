"""Time the fleet audit on a generated inventory (CSV and JSON) and measure its memory.

Run: ``python tests/fleet/bench_fleet_audit.py [COUNT]`` (default 1,725 cameras; the issue's
target is 100,000 rows under 10 s and 300 MB). The inventories are written first; each format
is then audited in a fresh child process, so its peak resident memory (``ru_maxrss``) is the
audit's alone: interpreter, imports, the rows, the report and the JSON and HTML writing.
Prints wall seconds for reading, auditing and writing JSON and HTML, and the CPU seconds of
the whole run (on a shared, loaded machine wall time overstates the work; report both with the
load average). Figures to watch, not a pass/fail test. ``--distinct-firmware`` gives every row
its own firmware string, so caching identical cameras cannot flatter the figures;
``--no-html`` skips the HTML page.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleet_inventory_gen import AS_OF, MAX_AGE_DAYS, generate, write_csv, write_json

HERE = Path(__file__).resolve().parent


def _child(path: Path, folder: Path, html: bool) -> None:
    from clearsight.fleet import (
        AuditOptions,
        audit_inventory,
        load_catalog,
        read_inventory,
        write_html,
    )
    from clearsight.fleet import write_json as write_report_json

    options = AuditOptions(as_of=AS_OF, firmware_max_age_days=MAX_AGE_DAYS)
    cpu_started = time.process_time()
    started = time.perf_counter()
    catalog = load_catalog(None)
    inventory = read_inventory(path)
    read_done = time.perf_counter()
    report = audit_inventory(inventory, catalog, options)
    audit_done = time.perf_counter()
    write_report_json(report, folder / "audit.json")
    json_done = time.perf_counter()
    if html:
        write_html(report, folder / "audit.html")
    finished = time.perf_counter()
    cpu = time.process_time() - cpu_started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "cameras": len(report.cameras),
                "format": inventory.format,
                "read": read_done - started,
                "audit": audit_done - read_done,
                "json": json_done - audit_done,
                "html": finished - json_done if html else None,
                "cpu": cpu,
                "peak_mib": peak_mib,
            }
        )
    )


def main(count: int, distinct_firmware: bool, html: bool) -> None:
    rows = [row.values for row in generate(count)]
    if distinct_firmware:
        for index, values in enumerate(rows):
            if values["firmware"]:
                values["firmware"] = f"{values['firmware']} rev{index}"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for kind, writer in (("csv", write_csv), ("json", write_json)):
            path = folder / f"fleet.{kind}"
            writer(path, rows)
            result = subprocess.run(
                [sys.executable, __file__, "--child", str(path), str(folder), str(html)],
                capture_output=True,
                text=True,
                check=True,
                cwd=HERE,
            )
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            total = figures["read"] + figures["audit"] + figures["json"] + (figures["html"] or 0)
            html_text = f", HTML {figures['html']:.3f} s" if html else ""
            print(
                f"{kind}: {figures['cameras']} cameras ({figures['format']}); read "
                f"{figures['read']:.3f} s, audit {figures['audit']:.3f} s, JSON "
                f"{figures['json']:.3f} s{html_text}, total {total:.3f} s wall, "
                f"{figures['cpu']:.3f} s CPU; peak memory {figures['peak_mib']:.0f} MiB"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.path.insert(0, str(HERE))
        _child(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "True")
    else:
        arguments = [argument for argument in sys.argv[1:] if not argument.startswith("--")]
        main(
            int(arguments[0]) if arguments else 1725,
            "--distinct-firmware" in sys.argv,
            "--no-html" not in sys.argv,
        )
