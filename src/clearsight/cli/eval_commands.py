"""Commands that measure clearsight: ``eval lfw|identify|fairness``, ``calibrate`` and ``plan``."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from clearsight.cli._app import app, friendly_errors

if TYPE_CHECKING:
    from clearsight.evaluation import ExtractOptions, Report

eval_app = typer.Typer(
    name="eval",
    help="Measure accuracy and demographic differentials on labelled data.",
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")

CacheOption = Annotated[
    Path | None,
    typer.Option("--cache", help="Embedding cache folder (default ~/.cache/clearsight)."),
]
WorkersOption = Annotated[
    int,
    typer.Option("--workers", min=1, max=64, help="Worker processes (dlib uses one core each)."),
]
SkipBadOption = Annotated[
    bool,
    typer.Option(
        "--skip-bad",
        help="Count and report missing or corrupt images instead of stopping with a list of them.",
    ),
]
JsonOption = Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here.")]
HtmlOption = Annotated[Path | None, typer.Option("--html", help="Write an HTML report here.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed for sampling and bootstrap.")]
ViewsOption = Annotated[
    str | None,
    typer.Option(
        "--views",
        help="Comma-separated views averaged per face (p25, p25f, a68, "
        "a68f, j0..jN); default: the eight chosen on LFW View 1.",
    ),
]
# The live pipeline embeds dlib's chip and its mirror (DlibResNetEmbedder(mirror=True)); the
# card it reads must describe those scores, so calibration uses the same views by default.
PIPELINE_VIEWS = "p25,p25f"
ImagesOption = Annotated[
    str,
    typer.Option(
        "--images",
        help="LFW only: 'all' images or only those named in pairs.txt ('pairs', faster).",
    ),
]
ManifestOption = Annotated[
    Path | None,
    typer.Option(
        "--manifest",
        help="CSV with columns path, subject and label columns; replaces the LFW adapter.",
    ),
]
DirArgument = Annotated[
    Path | None, typer.Argument(help="An LFW folder (images/, pairs.txt, labels/).")
]


def _options(cache: Path | None, workers: int, skip_bad: bool, views: str | None) -> ExtractOptions:
    from clearsight.errors import InputError
    from clearsight.evaluation import DEFAULT_VIEWS, ExtractOptions, default_cache_dir

    chosen = tuple(v.strip() for v in views.split(",") if v.strip()) if views else DEFAULT_VIEWS
    for view in chosen:
        if not re.fullmatch(r"p\d{1,2}f?|a68f?|j\d{1,3}", view):
            raise InputError(f"--views: unknown view {view!r}; use e.g. p25,p25f,a68,a68f,j0")
    return ExtractOptions(
        cache_dir=cache or default_cache_dir(), workers=workers, skip_bad=skip_bad, views=chosen
    )


def _scope(images: str) -> Literal["all", "pairs"]:
    from clearsight.errors import InputError

    if images == "all":
        return "all"
    if images == "pairs":
        return "pairs"
    raise InputError(f"--images must be 'all' or 'pairs', not {images!r}")


def _rate_ci(rate: float, interval: list[float], digits: int) -> str:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.{digits}f}"

    return f"{pct(rate)}% [{pct(interval[0])}-{pct(interval[1])}]"


def _save(
    data: dict[str, object], json_out: Path | None, html_out: Path | None, report: Report | None
) -> None:
    from clearsight.evaluation import write_json, write_report

    if json_out is not None:
        write_json(json_out, data)
    if html_out is not None and report is not None:
        write_report(html_out, report)


@eval_app.command("lfw")
@friendly_errors
def eval_lfw(
    directory: Annotated[Path, typer.Argument(help="LFW folder with pairs.txt and images/.")],
    json_out: JsonOption = None,
    html_out: HtmlOption = None,
    cache: CacheOption = None,
    workers: WorkersOption = 2,
    skip_bad: SkipBadOption = False,
    views: ViewsOption = None,
) -> None:
    """LFW View 2: 10 folds, threshold from nine, tested on the tenth."""
    from clearsight.evaluation import lfw_report, run_lfw

    started = time.monotonic()
    options = _options(cache, workers, skip_bad, views)
    result = run_lfw(directory, options)
    summary = result.summary()
    summary["runtime_s"] = round(time.monotonic() - started, 1)
    console = Console()
    tar = summary["tar_at_far"]
    undetected = summary["undetected_images"]
    console.print(f"LFW View 2, {summary['pairs']}")
    console.print(
        f"accuracy {100 * result.accuracy_mean:.2f}% ± "
        f"{100 * result.accuracy_std:.2f} ({len(result.folds)}-fold), "
        f"AUC {summary['auc']:.5f}, EER {100 * result.eer:.2f}%"
    )
    if isinstance(tar, dict):
        for far, entry in tar.items():
            console.print(
                f"TAR {100 * entry['tar']:.2f}% at FAR {far} (threshold {entry['threshold']:.4f})"
            )
    if isinstance(undetected, dict):
        console.print(
            f"undetected by HOG: {undetected['count']} of {undetected['images_total']} "
            f"images, by fallback {undetected['by_fallback']}"
        )
    if result.bad_files:
        console.print(
            f"skipped {len(result.bad_files)} missing or corrupt images and the "
            f"{result.pairs_dropped} pairs that need them (listed in the JSON)"
        )
    console.print(f"runtime {summary['runtime_s']} s")
    _save(summary, json_out, html_out, lfw_report(result) if html_out else None)


@eval_app.command("identify")
@friendly_errors
def eval_identify(
    directory: DirArgument = None,
    manifest: ManifestOption = None,
    gallery_size: Annotated[
        list[int] | None,
        typer.Option(
            "--gallery-size", help="Gallery sizes to try (0 = all enrolled); default 100 1000 0."
        ),
    ] = None,
    json_out: JsonOption = None,
    html_out: HtmlOption = None,
    images: ImagesOption = "all",
    cache: CacheOption = None,
    workers: WorkersOption = 2,
    skip_bad: SkipBadOption = False,
    views: ViewsOption = None,
    seed: SeedOption = 0,
) -> None:
    """Open-set 1:N search: FNIR at FPIR 1e-2 and 1e-3 and rank-1, by gallery size."""
    from clearsight.evaluation import (
        IdentifyOptions,
        embed_dataset,
        identify_report,
        identify_summary,
        run_identify,
    )

    options = _options(cache, workers, skip_bad, views)
    data = embed_dataset(directory, manifest, options, _scope(images))
    sizes = tuple(gallery_size) if gallery_size else (100, 1000, 0)
    results = run_identify(data, IdentifyOptions(gallery_sizes=sizes, seed=seed))
    table = Table(
        "gallery",
        "mated probes",
        "non-mated",
        "rank-1",
        "FNIR@FPIR 1e-2",
        "FNIR@FPIR 1e-3",
        title=f"Open-set identification, {data.source}",
    )
    for r in results:
        table.add_row(
            str(r.gallery_size),
            str(r.mated_probes),
            str(r.non_mated_probes),
            f"{100 * r.rank1:.2f}%",
            *[f"{100 * v:.2f}%" for v in r.fnir_at_fpir.values()],
        )
    Console().print(table)
    _save(
        identify_summary(results, data.source),
        json_out,
        html_out,
        identify_report(results, data.source) if html_out else None,
    )


@eval_app.command("fairness")
@friendly_errors
def eval_fairness(
    directory: DirArgument = None,
    attribute: Annotated[
        str,
        typer.Option(
            "--attribute", help="Label column: sex or race on LFW, any column of a manifest."
        ),
    ] = "sex",
    manifest: ManifestOption = None,
    target_fmr: Annotated[
        float,
        typer.Option(
            "--target-fmr", help="FMR every group must stay under; also sets the global threshold."
        ),
    ] = 1e-3,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Global threshold (default: pooled within-group impostors at --target-fmr).",
        ),
    ] = None,
    multi_label: Annotated[
        str,
        typer.Option(
            "--multi-label",
            help="'separate': people with "
            "several labels form their own group; 'each': counted in each.",
        ),
    ] = "separate",
    min_subjects: Annotated[
        int, typer.Option("--min-subjects", help="Smaller groups are reported as too small.")
    ] = 10,
    json_out: JsonOption = None,
    html_out: HtmlOption = None,
    images: ImagesOption = "all",
    cache: CacheOption = None,
    workers: WorkersOption = 2,
    skip_bad: SkipBadOption = False,
    views: ViewsOption = None,
    seed: SeedOption = 0,
) -> None:
    """Per-group FMR and FNMR at one threshold, with bootstrap CIs (NIST IR 8280 style)."""
    from clearsight.errors import InputError
    from clearsight.evaluation import (
        FairnessOptions,
        embed_dataset,
        fairness_report,
        run_fairness,
    )

    if multi_label not in ("separate", "each"):
        raise InputError(f"--multi-label must be 'separate' or 'each', not {multi_label!r}")
    options = _options(cache, workers, skip_bad, views)
    data = embed_dataset(directory, manifest, options, _scope(images))
    fairness = FairnessOptions(
        attribute=attribute,
        target_fmr=target_fmr,
        threshold=threshold,
        seed=seed,
        min_subjects=min_subjects,
        multi_label="each" if multi_label == "each" else "separate",
    )
    result = run_fairness(data, fairness)
    report = fairness_report(result, data.source, data.label_notes)
    table = Table(
        "group",
        "subjects",
        "impostor pairs",
        "FMR [95% CI]",
        "FMR/best",
        "mated pairs",
        "FNMR [95% CI]",
        title=f"{attribute}: threshold {result.threshold:.4f} ({result.threshold_source})",
    )
    for name, entry in report.data["groups"].items():  # type: ignore[attr-defined]
        if entry["too_small"]:
            table.add_row(
                name,
                str(entry["subjects"]),
                str(entry["impostor_pairs"]),
                "too few subjects",
                "",
                str(entry["mated_pairs"]),
                "",
            )
            continue
        ratio = entry["fmr_ratio_to_best"]
        table.add_row(
            name,
            str(entry["subjects"]),
            f"{entry['impostor_pairs']:,}",
            _rate_ci(entry["fmr"], entry["fmr_ci"], 3),
            f"{ratio:.2f}" if ratio is not None else "n/a",
            f"{entry['mated_pairs']:,}",
            _rate_ci(entry["fnmr"], entry["fnmr_ci"], 2),
        )
    console = Console()
    console.print(table)
    common = result.threshold_for_target_fmr()
    console.print(
        f"threshold keeping every group's FMR <= {target_fmr:g}: {common:.4f}; "
        f"FNMR there: {report.data['fnmr_at_threshold_for_target']}"
    )
    console.print(result.label_handling)
    _save(report.data, json_out, html_out, report)


@app.command()
@friendly_errors
def calibrate(
    directory: Annotated[Path, typer.Argument(help="LFW folder (or use --manifest).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the card JSON.")] = Path(
        "dlib-resnet-v1.json"
    ),
    version: Annotated[str, typer.Option("--version", help="Card version string.")] = "1.0",
    manifest: ManifestOption = None,
    max_per_subject: Annotated[
        int,
        typer.Option(
            "--max-per-subject",
            min=2,
            help="Images per person used (keeps one person from dominating).",
        ),
    ] = 20,
    images: ImagesOption = "all",
    cache: CacheOption = None,
    workers: WorkersOption = 2,
    skip_bad: SkipBadOption = False,
    views: ViewsOption = None,
    seed: SeedOption = 0,
) -> None:
    """Write a calibration card: score <-> estimated FMR, with per-group thresholds.

    By default the views are the live pipeline's (chip and mirror), whose scores the card
    must describe."""
    from clearsight.evaluation import calibrate_lfw, embed_dataset, write_json

    options = _options(cache, workers, skip_bad, views or PIPELINE_VIEWS)
    data = embed_dataset(directory, manifest, options, _scope(images))
    card = calibrate_lfw(
        data, options.model_id, version, max_per_subject, (1e-3, 1e-4), seed, options.views
    )
    write_json(out, card.model_dump(mode="json"))
    console = Console()
    console.print(
        f"wrote {out}: {card.impostor_comparisons:,} impostor and "
        f"{card.mated_comparisons:,} mated comparisons"
    )
    for target in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        threshold = card.threshold_for_fmr(target)
        console.print(
            f"FMR {target:g}: threshold {threshold:.4f}, FNMR "
            f"{100 * card.fnmr_at(threshold):.2f}%, every-group threshold "
            f"{card.threshold_for_fmr_all_groups(target):.4f}"
        )


@app.command()
@friendly_errors
def plan(
    watchlist_size: Annotated[
        int,
        typer.Option(
            "--watchlist-size",
            min=1,
            help="People on the watchlist (each compared with every face).",
        ),
    ],
    faces_per_day: Annotated[
        float, typer.Option("--faces-per-day", min=0.0, help="Faces scanned per day.")
    ],
    target_fmr: Annotated[
        float,
        typer.Option(
            "--target-fmr", help="Per-comparison false match rate the threshold is set for."
        ),
    ],
    card_path: Annotated[
        Path | None,
        typer.Option(
            "--card", help="Calibration card JSON (default: the one shipped for the default model)."
        ),
    ] = None,
    json_out: JsonOption = None,
) -> None:
    """Estimate false alerts per day and the miss rate for a watchlist deployment."""
    from clearsight.embed import DLIB_RESNET_MODEL_ID
    from clearsight.errors import InputError
    from clearsight.evaluation import plan_operating_point, write_json
    from clearsight.match import load_card

    card = load_card(DLIB_RESNET_MODEL_ID, card_path)
    try:
        result = plan_operating_point(card, watchlist_size, faces_per_day, target_fmr)
    except ValueError as error:
        raise InputError(str(error)) from error
    console = Console()
    console.print(
        f"card {card.model_id} v{card.version}: threshold {result.threshold:.4f} "
        f"for FMR {target_fmr:g} (estimated {result.estimated_fmr:.2e})"
        + (" [beyond what the card's data resolves]" if result.beyond_measured else "")
    )
    console.print(f"FPIR per face ~ 1-(1-FMR)^{watchlist_size} = {result.fpir:.3e}")
    console.print(
        f"false alerts per day ~ {result.false_alerts_per_day:,.1f} "
        f"(one every {24 * 60 / max(result.false_alerts_per_day, 1e-12):,.1f} min)"
    )
    console.print(f"expected miss rate (FNMR) ~ {100 * result.miss_rate:.2f}%")
    if result.worst_group_threshold is not None:
        console.print(
            f"to keep every measured group at FMR {target_fmr:g} the threshold must "
            f"rise to {result.worst_group_threshold:.4f} (FNMR "
            f"{100 * card.fnmr_at(result.worst_group_threshold):.2f}%)"
        )
    if json_out is not None:
        write_json(json_out, result.summary())


# --- eval detection: face detectors on WIDER FACE -------------------------------------------


def _recall_cell(found: int, faces: int) -> str:
    return f"{100 * found / faces:.1f}%" if faces else "n/a"


WiderDirArgument = Annotated[
    Path,
    typer.Argument(help="A WIDER FACE folder: wider_face_val_bbx_gt.txt and images/<event>/."),
]


@eval_app.command("detection")
@friendly_errors
def eval_detection(
    directory: WiderDirArgument,
    detector: Annotated[
        list[str] | None,
        typer.Option(
            "--detector",
            help="Detector to evaluate, repeatable: a preset (yunet, hog, hog-u1, cnn), "
            "optionally @MAX_WIDTH and ,field=value (yunet@1280,min_score=0.5), or a "
            "TOML/JSON config file. Default: yunet.",
        ),
    ] = None,
    frame: Annotated[
        list[str] | None,
        typer.Option(
            "--frame",
            help="How images are shown, repeatable: native (as they are), 1080p-canvas "
            "(at their own scale inside a 1920-wide frame: bands are px in a 1080p frame) "
            "or 1080p-upscaled (resized to 1920 wide). Default: native.",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="Evaluate only N images, spread over the events."),
    ] = None,
    timing_frame: Annotated[
        Path | None,
        typer.Option(
            "--timing-frame",
            help="Image timed as a 1080p frame (resized to 1920x1080); "
            "default: the first WIDER image evaluated.",
        ),
    ] = None,
    timing_repeats: Annotated[
        int,
        typer.Option(
            "--timing-repeats", min=0, help="Runs on the 1080p frame per detector; 0 skips."
        ),
    ] = 10,
    json_out: JsonOption = None,
) -> None:
    """Recall by face size (30-50, 50-80, 80-150 px), false positives per image and CPU ms
    per 1080p frame for each detector setting, on WIDER FACE's ground truth."""
    import os
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from clearsight.detect import create_detector
    from clearsight.errors import InputError
    from clearsight.evaluation import (
        FRAME_MODES,
        DetectionReport,
        FrameMode,
        FrameTiming,
        detector_config_from_spec,
        evaluate_detector,
        load_wider,
        resize_to_1080p,
        select_evenly,
        time_detectors,
        write_json,
    )
    from clearsight.ingest import load_image

    specs = detector or ["yunet"]
    known: dict[str, FrameMode] = {mode: mode for mode in FRAME_MODES}
    for name in frame or []:
        if name not in known:
            raise InputError(f"--frame must be one of {', '.join(FRAME_MODES)}, not {name!r}")
    modes = [known[name] for name in frame or ["native"]]
    configs = [(spec, detector_config_from_spec(spec)) for spec in specs]
    images_folder, everything = load_wider(directory)
    images = select_evenly(everything, limit)
    first = load_image(timing_frame) if timing_frame else load_image(images_folder / images[0].path)
    frame_1080p = resize_to_1080p(first)
    # Piped to a file the table keeps its columns rather than wrapping at 80 characters.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    console.print(
        f"WIDER FACE: {len(images)} of {len(everything)} images; face size = max(w, h); "
        f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    detectors = [(spec, create_detector(config)) for spec, config in configs]
    timings: dict[str, FrameTiming] = {}
    if timing_repeats:
        with console.status(f"timing {len(detectors)} detectors on a 1080p frame"):
            found = time_detectors(detectors, frame_1080p, repeats=timing_repeats)
        timings = {timing.detector: timing for timing in found}
    reports: list[DetectionReport] = []
    for (spec, face_detector), (_, config) in zip(detectors, configs, strict=True):
        for mode in modes:
            with Progress(
                TextColumn(f"[bold]{spec} {mode}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task("", total=len(images))

                def advance(done: int, _total: int, task: TaskID = task) -> None:
                    progress.update(task, completed=done)

                reports.append(
                    evaluate_detector(
                        face_detector,
                        images,
                        images_folder,
                        name=spec,
                        config=config.model_dump(mode="json"),
                        frame=mode,
                        on_image=advance,
                    )
                )
    bands = reports[0].bands
    wide = reports[0].recall_between(bands[0].high, bands[-1].high)
    table = Table(
        "detector",
        "frame",
        *[f"{band.label} px\n({band.faces} faces)" for band in bands],
        f"{wide.label} px\n({wide.faces} faces)",
        "FP/\nimage",
        "CPU ms/\nimage",
        "CPU ms/\n1080p",
        "load\n1 min",
        title=f"Face detection on WIDER FACE ({len(images)} images, IoU >= 0.5), recall",
    )
    for report in reports:
        timing = timings.get(report.detector)
        table.add_row(
            report.detector,
            report.frame,
            *[
                _recall_cell(band.found, band.faces)
                for band in (*report.bands, report.recall_between(wide.low, wide.high))
            ],
            f"{report.false_positives_per_image:.2f}",
            f"{report.cpu_ms_per_image:.1f}",
            f"{timing.cpu_ms_median:.1f}" if timing else "-",
            f"{report.load_average[0]:.2f}",
        )
    console.print(table)
    clear = Table(
        "detector",
        "frame",
        *[f"{band.label} px\n({band.faces} faces)" for band in reports[0].clear_bands],
        title="Recall on clear faces only (no occlusion, blur not heavy, typical pose)",
    )
    for report in reports:
        clear.add_row(
            report.detector,
            report.frame,
            *[_recall_cell(band.found, band.faces) for band in report.clear_bands],
        )
    console.print(clear)
    if json_out is not None:
        write_json(
            json_out,
            {
                "dataset": str(directory),
                "images": len(images),
                "images_total": len(everything),
                "face_size": "max(w, h)",
                "iou_threshold": 0.5,
                "timing_frame": str(timing_frame) if timing_frame else images[0].path,
                "reports": [report.to_dict() for report in reports],
                "timings": [timing.to_dict() for timing in timings.values()],
            },
        )
