"""``clearsight bench``: benchmarks that print figures, never pass/fail."""

from __future__ import annotations

import functools
import json
import platform
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import numpy.typing as npt
import typer
from rich.console import Console
from rich.progress import Progress

from clearsight.cli._app import app, friendly_errors
from clearsight.errors import InputError

if TYPE_CHECKING:
    from rich.table import Table

    from clearsight.bench import (
        Models,
        QualityRow,
        SearchFigures,
        SyntheticSet,
        ThroughputFigures,
    )
    from clearsight.config import ClearsightConfig

bench_app = typer.Typer(
    name="bench",
    help="Benchmarks: gallery search, pipeline throughput, alert latency, small and blurred "
    "faces. Figures, not verdicts.",
    no_args_is_help=True,
)
app.add_typer(bench_app, name="bench")


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(float(part)) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise InputError(f"--sizes {text!r}: expected numbers like 1e3,1e4,1e5") from error
    if not sizes or min(sizes) < 1:
        raise InputError(f"--sizes {text!r}: expected positive gallery sizes")
    return sizes


def _machine_line() -> str:
    from clearsight.bench import load_average

    return f"{platform.processor() or platform.machine()}, load average {load_average():.1f}"


def _search_data(seed: Path | None, size: int, probes: int) -> SyntheticSet:
    from clearsight.bench import fit_embedding_model, load_seed, random_set, synthetic_set

    if seed is None:
        return random_set(size, probes)
    vectors, labels = load_seed(seed)
    try:
        model = fit_embedding_model(vectors, labels, str(seed))
    except ValueError as error:
        raise InputError(str(error)) from error
    return synthetic_set(model, size, probes)


def _profile_line(vectors: npt.NDArray[np.float32], labels: npt.ArrayLike) -> str:
    from clearsight.bench import score_profile

    profile = score_profile(vectors, labels)
    return (
        f"cosine scores: mated {profile.mated_mean:.3f} +- {profile.mated_std:.3f}, impostor "
        f"{profile.impostor_mean:.3f} +- {profile.impostor_std:.3f} (99.9th pct "
        f"{profile.impostor_p999:.3f})"
    )


def _figure_line(figure: SearchFigures) -> str:
    return (
        f"{figure.size:>9,} {figure.index:<38} build {figure.build_s:7.2f} s  "
        f"+{figure.index_mb:6.0f} MB  probe p50 {figure.per_probe.p50:7.3f} "
        f"p99 {figure.per_probe.p99:7.3f} ms (cpu p50 {figure.per_probe_cpu.p50:7.3f} "
        f"p99 {figure.per_probe_cpu.p99:7.3f}; n={figure.per_probe.count})  "
        f"batch{figure.batch_size} p50 {figure.per_batch.p50:8.2f} "
        f"p99 {figure.per_batch.p99:8.2f} ms "
        f"({figure.amortised_probe_ms:.3f} ms/probe)  recall@1 {figure.recall_at_1:.4f} "
        f"(enrolled {figure.recall_at_1_enrolled:.4f})"
    )


@bench_app.command("search")
@friendly_errors
def search_command(
    sizes: Annotated[str, typer.Option(help="Gallery sizes, comma-separated.")] = "1e3,1e4,1e5,1e6",
    seed: Annotated[
        Path | None,
        typer.Option(
            help="Real embeddings (.npz with vectors, labels; see `bench seed`) to grow "
            "a face-like synthetic gallery from. Without it: random unit vectors."
        ),
    ] = None,
    index: Annotated[
        str, typer.Option(help="Backends: exact,hnsw,hnsw48,ivf,ivfpq.")
    ] = "exact,hnsw48,ivf",
    probes: Annotated[int, typer.Option(min=10, help="Probes per size.")] = 500,
    batch: Annotated[int, typer.Option(min=1, help="Probes per batched search.")] = 64,
    k: Annotated[int, typer.Option(min=1, help="Templates returned per probe.")] = 10,
    threads: Annotated[int, typer.Option(min=1, help="BLAS and FAISS threads.")] = 1,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write figures here.")
    ] = None,
) -> None:
    """Gallery search latency per probe and per batch, build time, memory, recall@1 vs exact."""
    from clearsight.bench import PRESETS, SearchPlan, load_seed, run_search_bench, thread_limit

    unknown = [name for name in index.split(",") if name not in PRESETS]
    if unknown:
        raise InputError(
            f"--index: unknown backend {unknown[0]!r}; choose from {', '.join(PRESETS)}"
        )
    plan = SearchPlan(tuple(PRESETS[name] for name in index.split(",")), k=k, batch=batch)
    console = Console()
    console.print(f"bench search: {threads} thread(s), {_machine_line()}")
    figures: list[SearchFigures] = []
    if seed is not None:
        console.print(f"real seed {_profile_line(*load_seed(seed))}", soft_wrap=True)
    with thread_limit(threads):
        for size in _parse_sizes(sizes):
            data = _search_data(seed, size, probes)
            console.print(f"[bold]{data.description}[/]", soft_wrap=True)
            console.print(
                f"generated {_profile_line(data.gallery, data.row_subject)}", soft_wrap=True
            )
            figures += run_search_bench(
                data, plan, lambda f: console.print(_figure_line(f), soft_wrap=True)
            )
    if json_out is not None:
        json_out.write_text(json.dumps([asdict(f) for f in figures], indent=1), encoding="utf-8")


@bench_app.command("seed")
@friendly_errors
def seed_command(
    people_folder: Annotated[
        Path, typer.Argument(help="One subfolder of images per person (LFW's images/).")
    ],
    out: Annotated[
        Path, typer.Option(help="Where to write the .npz (keep it out of the repository).")
    ],
    people: Annotated[int, typer.Option(min=10, help="People to sample.")] = 800,
    singles: Annotated[int, typer.Option(min=0, help="Of them, people with one photo.")] = 250,
    per_person: Annotated[int, typer.Option(min=1, help="Images per person at most.")] = 4,
) -> None:
    """Embed real faces (reference model) to grow realistic synthetic galleries from."""
    from clearsight.bench import embed_people_folder, fit_embedding_model, load_seed

    summary = embed_people_folder(
        people_folder, out, people=people, singles=singles, per_person=per_person
    )
    console = Console()
    console.print(
        f"{summary.embeddings} embeddings of {summary.people} people written to {summary.out}; "
        f"{summary.images_without_face} images had no face",
        soft_wrap=True,
    )
    vectors, labels = load_seed(out)
    console.print(_profile_line(vectors, labels), soft_wrap=True)
    try:
        model = fit_embedding_model(vectors, labels, str(out))
        console.print(f"model: {model.source}", soft_wrap=True)
    except ValueError as error:
        console.print(f"not enough people with 2+ photos to model: {error}")


ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML or JSON config; defaults without it.")
]
WatchlistOption = Annotated[
    Path, typer.Option("--watchlist", "-w", help="Watchlist file made by `clearsight enroll`.")
]


def _models(watchlist: Path, config: ClearsightConfig) -> Models:
    from clearsight.bench import Models
    from clearsight.pipeline import create_models
    from clearsight.watchlist import WatchlistFile

    if not watchlist.is_file():
        raise InputError(f"{watchlist}: no such watchlist (create it with `clearsight enroll`)")
    models = create_models(config)
    with WatchlistFile(watchlist) as store:
        gallery = store.matchable_gallery(models.model_id)
    return Models(models.detector, models.embedder, gallery, models.card, models.point)


def _run_line(figures: ThroughputFigures) -> str:
    stages = ", ".join(f"{name} {ms:.1f}" for name, ms in figures.stage_ms.items())
    found = ", ".join(f"{name} x{count}" for name, count in sorted(figures.identities.items()))
    return (
        f"{figures.mode:<8} {figures.frames} frames in {figures.wall_s:.1f} s: "
        f"{figures.analysed_fps:.2f} analysed frames/s, {figures.faces_per_s:.2f} faces/s "
        f"({figures.faces / max(figures.frames, 1):.2f} found per frame), "
        f"{figures.embeddings} embeddings"
        + (f" (+{figures.screenings} screenings)" if figures.screenings else "")
        + f", CPU {figures.cpu_use:.2f} cores "
        f"({figures.frames_per_cpu_s:.2f} frames per CPU-second), peak RSS "
        f"{figures.peak_rss_mb:.0f} MB\n         ms per frame: {stages}\n"
        f"         identities: {found or 'none'}"
    )


@bench_app.command("pipeline")
@friendly_errors
def pipeline_command(
    videos: Annotated[list[str], typer.Argument(help="Video files (or any source spec).")],
    watchlist: WatchlistOption,
    naive: Annotated[
        bool, typer.Option("--naive", help="Also run the naive loop with the same models.")
    ] = False,
    max_frames: Annotated[
        int | None, typer.Option(min=1, help="Analyse at most this many frames per video.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Analysed frames/s, faces/s, ms per stage, CPU and memory; --naive for the ratio."""
    from clearsight.bench import run_naive, run_pipeline, warm_up
    from clearsight.config import load_config

    settings = load_config(config)
    models = _models(watchlist, settings)
    console = Console()
    console.print(f"bench pipeline: {_machine_line()}, {len(models.gallery)} watchlist subjects")
    for video in videos:
        console.print(f"[bold]{video}[/]", soft_wrap=True)
        warm_up(video, settings, models)
        fast = run_pipeline(video, settings, models, max_frames)
        console.print(_run_line(fast), soft_wrap=True)
        if not naive:
            continue
        slow = run_naive(video, settings, models, max_frames)
        console.print(_run_line(slow), soft_wrap=True)
        same = set(fast.identities) == set(slow.identities)
        per_cpu = fast.frames_per_cpu_s / max(slow.frames_per_cpu_s, 1e-9)
        console.print(
            f"ratio: pipeline analyses {fast.analysed_fps / max(slow.analysed_fps, 1e-9):.1f}x "
            f"the naive loop's frames/s ({per_cpu:.1f}x "
            f"per CPU-second); identities {'the same' if same else 'DIFFER'} "
            f"(pipeline {sorted(fast.identities)}, naive {sorted(slow.identities)})",
            soft_wrap=True,
        )


@bench_app.command("latency")
@friendly_errors
def latency_command(
    video: Annotated[Path, typer.Argument(help="A clip replayed in real time, like a camera.")],
    watchlist: WatchlistOption,
    repeat: Annotated[int, typer.Option(min=1, help="Replays (each new tracks).")] = 3,
    config: ConfigOption = None,
) -> None:
    """Capture-to-alert-stored latency p50/p95/p99 for a camera replaying a clip in real time."""
    import tempfile

    from clearsight.bench import run_latency, warm_up
    from clearsight.config import load_config

    settings = load_config(config)
    models = _models(watchlist, settings)
    if not video.is_file():
        raise InputError(f"{video}: no such video file")
    warm_up(str(video), settings, models)  # a live camera's models are loaded before it streams
    with tempfile.TemporaryDirectory(prefix="clearsight-bench-") as workdir:
        figures = run_latency(video, settings, models, Path(workdir) / "alerts.jsonl", repeat)
    frame, alert = figures.frame_latency, figures.alert_latency
    Console().print(
        f"bench latency: {_machine_line()}\n{figures.source}, {repeat} real-time replay(s): "
        f"{figures.frames_analysed} of {figures.frames_in_clip} frames analysed "
        f"(late frames are dropped, as from a camera)\n"
        f"frame capture -> analysed: p50 {frame.p50:.0f} p95 {frame.p95:.0f} "
        f"p99 {frame.p99:.0f} ms (n={frame.count})\n"
        f"frame capture -> alert stored (fsync'd): p50 {alert.p50:.0f} p95 {alert.p95:.0f} "
        f"p99 {alert.p99:.0f} ms (n={alert.count} alerts)",
        soft_wrap=True,
    )


@bench_app.command("cameras")
@friendly_errors
def cameras_command(
    video: Annotated[Path, typer.Argument(help="A clip every camera replays in real time.")],
    watchlist: WatchlistOption,
    cameras: Annotated[int, typer.Option(min=1, max=64, help="Camera processes.")] = 4,
    fps: Annotated[
        float, typer.Option(min=0.1, help="Analysed frames per second per camera.")
    ] = 5.0,
    cpu: Annotated[
        int | None,
        typer.Option(help="Pin every camera to this CPU core (Linux); unpinned without it."),
    ] = 0,
    config: ConfigOption = None,
) -> None:
    """Cameras replaying a clip in real time, all on one core: frames kept up, CPU, memory."""
    from clearsight.bench import run_cameras
    from clearsight.config import load_config
    from clearsight.pipeline import create_models
    from clearsight.watchlist import WatchlistFile

    if not video.is_file():
        raise InputError(f"{video}: no such video file")
    if not watchlist.is_file():
        raise InputError(f"{watchlist}: no such watchlist (create it with `clearsight enroll`)")
    settings = load_config(config)
    settings = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"max_fps": fps})}
    )
    with WatchlistFile(watchlist) as store:
        gallery = store.matchable_gallery(create_models(settings).model_id)
    console = Console()
    where = f"pinned to CPU {cpu}" if cpu is not None else "unpinned"
    console.print(
        f"bench cameras: {_machine_line()}, {cameras} camera processes {where}, {fps:g} "
        f"analysed frames/s each, {len(gallery)} watchlist subjects",
        soft_wrap=True,
    )
    figures = run_cameras(video, settings, gallery, cameras, cpu)
    for camera in figures.cameras:
        console.print(
            f"camera {camera.camera}: {camera.frames_analysed} of {camera.frames_offered} "
            f"frames analysed in {camera.stream_s:.1f} s ({camera.analysed_fps:.2f}/s), "
            f"CPU {camera.cpu_s:.1f} s, resident {camera.resident_mb:.0f} MB "
            f"(peak {camera.peak_resident_mb:.0f} MB), {camera.alerts} alerts",
            soft_wrap=True,
        )
    console.print(
        f"all cameras: {figures.cores_used:.2f} of one core over {figures.wall_s:.1f} s "
        f"(late frames are dropped, as from a live camera: fewer analysed than offered means "
        f"the core did not keep up)",
        soft_wrap=True,
    )


@bench_app.command("clip")
@friendly_errors
def clip_command(
    source: Annotated[Path, typer.Argument(help="A real clip (e.g. a corridor clip).")],
    out: Annotated[Path, typer.Argument(help="Where to write it (keep it out of the repository).")],
    width: Annotated[int, typer.Option(help="Frame width.")] = 1920,
    height: Annotated[int, typer.Option(help="Frame height.")] = 1080,
    loops: Annotated[
        int, typer.Option(min=1, help="Play forward, then backward, this many times in all.")
    ] = 1,
    b_frames: Annotated[
        bool,
        typer.Option(
            "--b-frames/--no-b-frames",
            help="Encode with B-frames, or with I and P frames only, as many IP cameras send.",
        ),
    ] = True,
) -> None:
    """Upscale a real clip to camera resolution (1080p by default) for the benchmarks."""
    from clearsight.bench import upscale_clip

    summary = upscale_clip(source, out, width, height, loops, b_frames)
    Console().print(
        f"{summary.path}: {summary.width}x{summary.height}, {summary.frames} frames, "
        f"{summary.fps:g} fps ({summary.seconds:.1f} s), upscaled bicubic from {source}",
        soft_wrap=True,
    )


def _quality_table(rows: list[QualityRow], title: str) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for column in ("face", "found", "TMR", "mated", "FMR", "impostors", "sharpness p10/p50"):
        table.add_column(column, justify="left" if column == "face" else "right")
    for row in rows:
        table.add_row(
            row.degradation.label,
            f"{row.found}/{row.probes}",
            f"{row.true_match_rate:.1%}",
            f"{row.mated_pairs:,}",
            f"{row.false_match_rate:.2e}",
            f"{row.impostor_pairs:,}",
            f"{row.sharpness_p10:.0f} / {row.sharpness_p50:.0f}",
        )
    return table


@bench_app.command("quality")
@friendly_errors
def quality_command(
    lfw: Annotated[
        Path,
        typer.Argument(help="LFW folder (images/ and pairs.txt), e.g. ../shared/datasets/lfw."),
    ],
    images: Annotated[
        int, typer.Option("--images", min=1, help="Probe images for the size series.")
    ] = 500,
    blur_images: Annotated[
        int, typer.Option("--blur-images", min=1, help="Probe images for the blur series.")
    ] = 300,
    series: Annotated[str, typer.Option("--series", help="size, blur or both.")] = "both",
    gallery_images: Annotated[
        int | None,
        typer.Option(
            "--gallery-images",
            min=2,
            help="Only the first N of the images pairs.txt names (a quick run); all without it.",
        ),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Embedding cache folder (default ~/.cache/clearsight)."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Processes embedding the gallery.")
    ] = 2,
    config: ConfigOption = None,
) -> None:
    """True and false match rates of faces shrunk to W px and blurred, at the card's pooled
    threshold (the tables of docs/models.md)."""
    from clearsight.bench import (
        BLUR_SERIES,
        SIZE_SERIES,
        lfw_protocol_images,
        load_probes,
        pooled_threshold,
        probe_rows,
        run_quality,
    )
    from clearsight.config import load_config
    from clearsight.evaluation import default_cache_dir, embed_with_config
    from clearsight.pipeline import create_models

    chosen = {"size": [SIZE_SERIES], "blur": [BLUR_SERIES], "both": [SIZE_SERIES, BLUR_SERIES]}
    if series not in chosen:
        raise InputError(f"--series {series!r}: expected size, blur or both")
    settings = load_config(config)
    models = create_models(settings)
    threshold = pooled_threshold(models.card, settings.match)
    paths, subjects = lfw_protocol_images(lfw, gallery_images)
    console = Console()
    gallery = embed_with_config(
        paths, settings, models.model_id, cache or default_cache_dir(), workers
    )
    console.print(
        f"bench quality: {_machine_line()}; {settings.detector.type} + {models.model_id}, "
        f"pooled threshold {threshold:.4f} (target FMR {settings.match.target_fmr:g}, card "
        f"{models.card.version}); gallery: {int(gallery.usable.sum())} of {len(paths)} "
        f"images named in {lfw / 'pairs.txt'} with a face found. TMR: true match rate over "
        "the found probes' mated pairs; FMR: false match rate over their impostor pairs; both "
        "at the threshold. Sharpness: of the found probes' chips.",
        soft_wrap=True,
    )
    for degradations in chosen[series]:
        count = images if degradations is SIZE_SERIES else blur_images
        rows = probe_rows(subjects, gallery.usable, count)
        probes = load_probes(paths, rows, models.detector)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("probes", total=len(probes) * len(degradations))
            figures = run_quality(
                probes,
                gallery.vectors,
                subjects,
                degradations,
                models.detector,
                models.embedder,
                threshold,
                functools.partial(progress.advance, task),
            )
        name = "size" if degradations is SIZE_SERIES else "blur (after shrinking)"
        console.print(_quality_table(figures, f"{len(probes)} probe images, {name}"))
