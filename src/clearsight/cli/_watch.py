from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clearsight.config import ClearsightConfig
from clearsight.pipeline import RunSummary
from clearsight.types import Alert, Frame


def alert_json(alert: Alert) -> dict[str, object]:
    """The documented JSON shape of an alert line (``watch --json``)."""
    return {
        "event": "alert",
        "alert_id": alert.alert_id,
        "subject": alert.subject_name,
        "subject_id": alert.subject_id,
        "track_id": alert.track_id,
        "score": round(alert.score, 4),
        "estimated_fmr": alert.estimated_fmr,
        "estimated_fmr_interval": [alert.estimate.low, alert.estimate.high],
        "estimated_fmr_group": alert.estimate.group,
        "pooled_fmr": alert.estimate.pooled_fmr,
        "operating_point": asdict(alert.operating_point),
        "capture_time": alert.capture_time.isoformat(),
        "source": alert.source,
        "samples_used": alert.samples_used,
        "agreeing_samples": alert.agreeing_samples,
    }


def _frame_count(spec: str) -> int | None:
    try:
        import av

        with av.open(spec) as container:
            frames = container.streams.video[0].frames
            return int(frames) or None
    except Exception:
        return None


def run_watch(
    spec: str,
    watchlist: Path,
    config: ClearsightConfig,
    on_alert: Callable[[Alert], None],
    progress: bool,
) -> RunSummary:
    """``clearsight.watch`` over ``spec``, each alert to ``on_alert``, with a progress bar."""
    from clearsight import watch

    if not progress:
        with watch(spec, watchlist, config) as run:
            for alert in run:
                on_alert(alert)
        return run.summary
    with Progress(
        TextColumn("[bold]watching[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(Path(spec).name, total=_frame_count(spec))

        def on_frame(_: Frame) -> None:
            bar.advance(task)

        with watch(spec, watchlist, config, on_frame) as run:
            for alert in run:
                on_alert(alert)
        return run.summary
