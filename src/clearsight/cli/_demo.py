from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clearsight.config import ClearsightConfig
from clearsight.types import Alert


def run_demo(workdir: Path, config: ClearsightConfig) -> list[Alert]:
    """Build the synthetic clip, enrol Eileen Collins only, watch the clip and show the alerts."""
    from clearsight import Watchlist
    from clearsight.cli._watch import alert_json, run_watch
    from clearsight.demo import build_demo_clip, demo_portraits

    console = Console()
    workdir.mkdir(parents=True, exist_ok=True)
    clip = workdir / "demo-camera.mp4"
    watchlist_path = workdir / "demo-watchlist.db"
    with console.status("building the demo camera clip"):
        build_demo_clip(clip)
    collins, hopper = demo_portraits()
    console.print(
        f"Demo camera clip: {clip} (two people walk past: {collins.name}, then {hopper.name})"
    )
    watchlist_path.unlink(missing_ok=True)
    Watchlist(watchlist_path, config).enroll(collins.name, [collins.image])
    console.print(
        f"Watchlist {watchlist_path}: {collins.name} enrolled ({collins.credit}); "
        f"{hopper.name} is not enrolled."
    )
    alerts: list[Alert] = []
    summary = run_watch(str(clip), watchlist_path, config, alerts.append, progress=True)
    table = Table(
        "subject", "track", "score", "est. FMR", "captured", title="Alerts (pending human review)"
    )
    for alert in alerts:
        table.add_row(
            alert.subject_name,
            str(alert.track_id),
            f"{alert.score:.3f}",
            f"{alert.estimated_fmr:.1e}",
            alert.capture_time.strftime("%H:%M:%S.%f")[:-3],
        )
    console.print(table)
    console.print(
        f"{summary.frames} frames, {summary.faces} faces in {summary.tracks} tracks, "
        f"{len(alerts)} alert(s). Matched: {sorted({a.subject_name for a in alerts}) or 'none'}; "
        f"{hopper.name} (not enrolled) was dropped in memory, nothing stored."
    )
    for alert in alerts:
        console.print_json(json.dumps(alert_json(alert)))
    return alerts
