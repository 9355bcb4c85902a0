"""Time the fleet audit on the generated 1,725-camera inventory (CSV and JSON).

Run: ``python tests/fleet/bench_fleet_audit.py [COUNT]``. Prints seconds for reading, auditing
and writing JSON and HTML; a figure to watch, not a pass/fail test.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from fleet_inventory_gen import AS_OF, MAX_AGE_DAYS, generate, write_csv, write_json

from clearsight.fleet import (
    AuditOptions,
    audit_inventory,
    load_catalog,
    read_inventory,
    write_html,
)
from clearsight.fleet import write_json as write_report_json


def main(count: int) -> None:
    rows = [row.values for row in generate(count)]
    options = AuditOptions(as_of=AS_OF, firmware_max_age_days=MAX_AGE_DAYS)
    with tempfile.TemporaryDirectory() as folder:
        for name, writer in (("csv", write_csv), ("json", write_json)):
            path = Path(folder) / f"fleet.{name}"
            writer(path, rows)
            started = time.perf_counter()
            catalog = load_catalog(None)
            inventory = read_inventory(path)
            read_done = time.perf_counter()
            report = audit_inventory(inventory, catalog, options)
            audit_done = time.perf_counter()
            write_report_json(report, Path(folder) / "audit.json")
            write_html(report, Path(folder) / "audit.html")
            finished = time.perf_counter()
            print(
                f"{name}: {len(report.cameras)} cameras; read {read_done - started:.3f} s, "
                f"audit {audit_done - read_done:.3f} s, JSON+HTML {finished - audit_done:.3f} s, "
                f"total {finished - started:.3f} s"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1725)
