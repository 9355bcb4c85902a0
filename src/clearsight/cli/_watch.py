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
    from clearsight.backends import create_models
    from clearsight.ingest import open_source
    from clearsight.pipeline import Pipeline, run_source
    from clearsight.watchlist import WatchlistFile

    models = create_models(config)
    with WatchlistFile(watchlist) as store:
        gallery = store.matchable_gallery(models.model_id)
    pipeline = Pipeline(
        config,
        gallery,
        card=models.card,
        detector=models.detector,
        embedder=models.embedder,
        point=models.point,
    )
    source = open_source(spec, config.ingest)
    if not progress:
        return run_source(source, pipeline, on_alert)
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

        return run_source(source, pipeline, on_alert, on_frame)
