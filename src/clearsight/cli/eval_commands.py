"""Commands that measure clearsight: ``eval lfw|identify|fairness``, ``calibrate`` and ``plan``."""

from __future__ import annotations

import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from clearsight.cli._app import app, friendly_errors

if TYPE_CHECKING:
    from clearsight.config import ClearsightConfig
    from clearsight.evaluation import ExtractOptions, LabelledEmbeddings, Report, Verdicts
    from clearsight.match import CalibrationCard
    from clearsight.types import OperatingPoint

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
SamePersonOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--same-person",
        help="A reviewer's verdict file (CSV from `clearsight eval top-pairs`, filled in); "
        "repeat for each reviewer. Two images of the manifest count as one person only "
        "where two different reviewers judged them 'same' and nobody otherwise.",
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


def _verdicts(files: list[Path] | None, manifest: Path | None) -> Verdicts | None:
    """The reviewers' verdict files, read before any embedding so a bad one fails at once."""
    from clearsight.errors import InputError
    from clearsight.evaluation import load_verdicts

    if not files:
        return None
    if manifest is None:
        raise InputError("--same-person applies to a --manifest's images")
    return load_verdicts(files)


def _reviewed(
    data: LabelledEmbeddings, verdicts: Verdicts | None, manifest: Path | None
) -> tuple[LabelledEmbeddings, str]:
    """``data`` with the subjects the reviewers' verdicts merge, and what was done."""
    import dataclasses

    from clearsight.evaluation import merge_confirmed

    if verdicts is None or manifest is None:
        return data, ""
    merged, summary = merge_confirmed(data.images, verdicts, manifest.parent)
    return dataclasses.replace(data, images=merged), (
        f"{verdicts.describe()}; {summary.images} images given another image's subject"
    )


def _scope(images: str) -> Literal["all", "pairs"]:
    from clearsight.errors import InputError

    if images == "all":
        return "all"
    if images == "pairs":
        return "pairs"
    raise InputError(f"--images must be 'all' or 'pairs', not {images!r}")


def _rate_ci(rate: float, interval: list[float], digits: int) -> str:
    if rate is None or rate != rate:  # no pairs of this kind (e.g. no mated pairs)
        return "-"

    def pct(value: float | None) -> str:
        return "n/a" if value is None or value != value else f"{100 * value:.{digits}f}"

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
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Pipeline config whose detector and embedder are evaluated (default: the "
            "default models, YuNet and SFace). dlib's models use the evaluation recipe "
            "(HOG, CNN, centre box; --views).",
        ),
    ] = None,
) -> None:
    """LFW View 2: 10 folds, threshold from nine, tested on the tenth."""
    from clearsight.config import load_config
    from clearsight.embed import create_embedder
    from clearsight.evaluation import lfw_report, run_lfw

    started = time.monotonic()
    settings = load_config(config)
    options = _options(cache, workers, skip_bad, views)
    models = None
    if not _uses_dlib_recipe(settings):
        models = (settings, create_embedder(settings.embed).model_id)
    result = run_lfw(directory, options, models)
    summary = result.summary()
    summary["runtime_s"] = round(time.monotonic() - started, 1)
    summary["models"] = (
        "dlib evaluation recipe"
        if models is None
        else f"{settings.detector.type} + {models[1]}, as the pipeline embeds"
    )
    console = Console()
    tar = summary["tar_at_far"]
    undetected = summary["undetected_images"]
    console.print(f"LFW View 2, {summary['models']}, {summary['pairs']}")
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
    if isinstance(undetected, dict) and models is None:
        console.print(
            f"undetected by HOG: {undetected['count']} of {undetected['images_total']} "
            f"images, by fallback {undetected['by_fallback']}"
        )
    elif result.pairs_dropped:
        console.print(
            f"{result.pairs_dropped} pairs left out: the detector found no face in one of "
            "their images"
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
        float | None,
        typer.Option(
            "--target-fmr",
            help="FMR every group must stay under (default: the config's match.target_fmr).",
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Threshold to report at (default: the shipped operating point of the "
            "configured model).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Pipeline config: its model, target and rule."),
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
    same_person: SamePersonOption = None,
    seed: SeedOption = 0,
) -> None:
    """Per-group FMR and FNMR (bootstrap CIs, NIST IR 8280 style) at the shipped operating
    point and at the every-group threshold of this data, side by side."""
    from clearsight.config import load_config
    from clearsight.embed import create_embedder
    from clearsight.errors import InputError
    from clearsight.evaluation import (
        FairnessOptions,
        embed_dataset,
        every_group_threshold,
        fairness_report,
        run_fairness,
    )
    from clearsight.match import operating_point
    from clearsight.pipeline import embedder_card

    if multi_label not in ("separate", "each"):
        raise InputError(f"--multi-label must be 'separate' or 'each', not {multi_label!r}")
    settings = load_config(config)
    embedder = create_embedder(settings.embed)
    target = settings.match.target_fmr if target_fmr is None else target_fmr
    shipped = operating_point(embedder_card(embedder), settings.match)
    models = None if _uses_dlib_recipe(settings) else (settings, embedder.model_id)
    # The shipped point describes the pipeline's templates: embed as the pipeline does.
    options = _options(cache, workers, skip_bad, views or PIPELINE_VIEWS)
    verdicts = _verdicts(same_person, manifest)
    data, reviewed = _reviewed(
        embed_dataset(directory, manifest, options, _scope(images), models), verdicts, manifest
    )
    own, too_small = every_group_threshold(
        data.images,
        data.embedded.vectors,
        attribute,
        target,
        min_subjects,
        FairnessOptions(attribute=attribute).max_images_per_subject,
        seed,
    )
    console = Console()
    if reviewed:
        console.print(reviewed)
    at = [
        (
            "given threshold" if threshold is not None else "shipped point",
            threshold if threshold is not None else shipped.threshold,
        ),
        (f"every-group threshold of this data at FMR {target:g}", own),
    ]
    reports: list[tuple[str, Report]] = []
    result = None
    for label, value in at:
        if value != value:  # NaN: no threshold keeps every group at the target
            console.print(f"{label}: none on this data (groups too small: {', '.join(too_small)})")
            continue
        fairness = FairnessOptions(
            attribute=attribute,
            target_fmr=target,
            threshold=value,
            seed=seed,
            min_subjects=min_subjects,
            multi_label="each" if multi_label == "each" else "separate",
        )
        result = run_fairness(data, fairness)
        report = fairness_report(result, data.source, data.label_notes)
        reports.append((f"{label} {value:.4f}", report))
    console.print(_side_by_side(reports, attribute))
    if result is not None:
        console.print(result.label_handling)
    console.print(f"shipped: {describe_point(shipped)}")
    console.print(
        f"every-group threshold of this data at FMR {target:g}: {own:.4f}; too small to "
        f"judge: {', '.join(too_small) or 'none'}"
    )
    # The first report (at the shipped point) at the top level, as the assessment reads it.
    summary: dict[str, object] = {
        **reports[0][1].data,
        "shipped_operating_point": asdict(shipped),
        "every_group_threshold": own,
        "too_small_to_judge": list(too_small),
        "at_every_group_threshold": reports[1][1].data if len(reports) > 1 else None,
    }
    _save(summary, json_out, html_out, reports[0][1])


@eval_app.command("top-pairs")
@friendly_errors
def eval_top_pairs(
    manifest: Annotated[
        Path,
        typer.Option(
            "--manifest", help="CSV (path, subject, label columns) of a labelled set to review."
        ),
    ],
    attribute: Annotated[
        str,
        typer.Option("--attribute", help="Label column(s) to group by ('sex+race' crosses two)."),
    ],
    per_group: Annotated[
        int, typer.Option("--per-group", min=1, max=1000, help="Pairs listed per group.")
    ] = 30,
    out: Annotated[
        Path, typer.Option("--out", help="CSV for reviewers (empty verdict and reviewer).")
    ] = Path("review-pairs.csv"),
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help="Self-contained HTML page of the pairs side by side."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Pipeline config whose models score the pairs."),
    ] = None,
    same_person: SamePersonOption = None,
    cache: CacheOption = None,
    workers: WorkersOption = 2,
    skip_bad: SkipBadOption = False,
) -> None:
    """List each group's highest-scoring pairs of images the data counts as two people, for
    two reviewers to judge (same / different / unsure) before `calibrate --same-person`.

    A set without identity labels counts two photos of one person as a false match, and such
    pairs gather at the top, where they raise the every-group threshold. Earlier verdicts
    (--same-person) are applied first and pairs they settle are skipped: the next round
    shows the next pairs."""
    from clearsight.config import load_config
    from clearsight.embed import create_embedder
    from clearsight.evaluation import (
        embed_dataset,
        top_impostor_pairs,
        write_review_csv,
        write_review_sheet,
    )

    settings = load_config(config)
    model_id = create_embedder(settings.embed).model_id
    models = None if _uses_dlib_recipe(settings) else (settings, model_id)
    options = _options(cache, workers, skip_bad, PIPELINE_VIEWS)
    verdicts = _verdicts(same_person, manifest)
    data, reviewed = _reviewed(
        embed_dataset(None, manifest, options, "all", models), verdicts, manifest
    )
    candidates = top_impostor_pairs(
        data.images, data.embedded.vectors, attribute, per_group, verdicts, manifest.parent
    )
    write_review_csv(out, candidates, manifest.parent)
    console = Console()
    if reviewed:
        console.print(reviewed)
    groups = sorted({c.group for c in candidates})
    console.print(
        f"wrote {out}: {len(candidates)} pairs ({per_group} per group at most) of "
        f"{len(groups)} groups, scored by {model_id}"
    )
    if html_out is not None:
        write_review_sheet(
            html_out, candidates, manifest.parent, f"{manifest.parent.name}: pairs to review"
        )
        console.print(f"wrote {html_out}")
    for group in groups:
        scores = [c.score for c in candidates if c.group == group]
        console.print(f"  {group}: scores {max(scores):.4f} down to {min(scores):.4f}")


def _side_by_side(reports: list[tuple[str, Report]], attribute: str) -> Table:
    """One row per group: people and pairs, then FMR [95% CI] and FNMR at each threshold."""
    table = Table("group", "subjects", "impostor pairs", "mated pairs", title=attribute)
    for label, _ in reports:
        table.add_column(f"FMR [95% CI] at {label}")
        table.add_column(f"FNMR [95% CI] at {label}")
    first: dict[str, Any] = reports[0][1].data["groups"]  # type: ignore[assignment]
    for name, entry in first.items():
        cells = [name, str(entry["subjects"]), f"{entry['impostor_pairs']:,}"]
        cells.append(f"{entry['mated_pairs']:,}")
        for _, report in reports:
            row = report.data["groups"][name]  # type: ignore[index]
            if row["too_small"]:
                cells += ["too few subjects", ""]
            else:
                cells += [
                    _rate_ci(row["fmr"], row["fmr_ci"], 4),
                    _rate_ci(row["fnmr"], row["fnmr_ci"], 2),
                ]
        table.add_row(*cells)
    return table


def _uses_dlib_recipe(config: ClearsightConfig) -> bool:
    """dlib's detector and ResNet: the evaluation recipe (HOG, CNN, centre box) applies."""
    return config.detector.type in ("hog", "cnn") and config.embed.type == "dlib"


def group_table(card: CalibrationCard, point: OperatingPoint, title: str) -> Table:
    """Every group's FMR (95% interval) and FNMR at ``point``, as a table."""
    from clearsight.match import group_rates

    table = Table(
        "data",
        "group",
        "people",
        "impostor pairs",
        "FMR [95% CI]",
        "x target",
        "mated pairs",
        "FNMR",
        title=title,
    )
    for rate in group_rates(card, point):
        judged = "" if rate.judged else " (too small to judge)"
        table.add_row(
            rate.dataset,
            rate.group + judged,
            f"{rate.subjects:,}",
            f"{rate.impostor_comparisons:,}",
            f"{rate.fmr:.2e} [{rate.fmr_low:.1e}-{rate.fmr_high:.1e}]",
            f"{rate.fmr / point.target_fmr:.2g}",
            f"{rate.mated_comparisons:,}" if rate.mated_comparisons else "-",
            "-" if rate.fnmr is None else f"{100 * rate.fnmr:.2f}%",
        )
    return table


def describe_point(point: OperatingPoint) -> str:
    return (
        f"{point.model_id} card v{point.card_version}: threshold {point.threshold:.4f} "
        f"({point.rule} rule, target FMR {point.target_fmr:g})"
    )


@app.command()
@friendly_errors
def calibrate(
    directory: Annotated[Path, typer.Argument(help="LFW folder (images/, labels/).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the card JSON.")] = Path(
        "card.json"
    ),
    version: Annotated[str, typer.Option("--version", help="Card version string.")] = "1.0",
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="CSV (path, subject, label columns) of a demographically labelled set whose "
            "groups go on the card beside LFW's.",
        ),
    ] = None,
    attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--attribute",
            help="Label column(s) of the manifest to group by; 'sex+race' crosses two "
            "(female/asian, ...). Repeat for several groupings.",
        ),
    ] = None,
    dataset_name: Annotated[
        str | None,
        typer.Option("--dataset-name", help="Short name of the manifest's data on the card."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Pipeline config whose detector and embedder are calibrated (default models "
            "without it).",
        ),
    ] = None,
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
    same_person: SamePersonOption = None,
    seed: SeedOption = 0,
) -> None:
    """Write a calibration card for the configured embedder: score <-> FMR pooled and per
    group (LFW by sex and race, and the manifest's groups), FNMR on LFW.

    dlib's models are embedded as the pipeline does (chip and mirror); any other configured
    detector and embedder through their own chips."""
    from clearsight.config import load_config
    from clearsight.embed import create_embedder
    from clearsight.errors import ConfigError, InputError
    from clearsight.evaluation import GroupSource, calibrate_card, embed_dataset, write_json
    from clearsight.match import operating_point

    if manifest is not None and not attribute:
        raise InputError("--manifest needs --attribute (a label column, or 'sex+race')")
    verdicts = _verdicts(same_person, manifest)
    settings = load_config(config)
    model_id = create_embedder(settings.embed).model_id
    options = _options(cache, workers, skip_bad, PIPELINE_VIEWS)
    models = None if _uses_dlib_recipe(settings) else (settings, model_id)
    how = (
        "face nearest the centre, HOG then CNN then a central box; template = mean of views "
        + ", ".join(options.views)
        if models is None
        else f"face nearest the centre by the configured {settings.detector.type} detector, "
        "chips cut and embedded as the pipeline does"
    )
    lfw = embed_dataset(directory, None, options, _scope(images), models)
    extra = []
    reviewed = ""
    if manifest is not None:
        data, reviewed = _reviewed(
            embed_dataset(None, manifest, options, "all", models), verdicts, manifest
        )
        name = dataset_name or manifest.parent.name
        extra = [GroupSource(data, a, name) for a in attribute or []]
        if reviewed:
            how += f"; {name}: {reviewed}"
    card, handling = calibrate_card(lfw, extra, model_id, version, max_per_subject, seed, how)
    write_json(out, card.model_dump(mode="json"))
    console = Console()
    console.print(
        f"wrote {out}: {card.impostor_comparisons:,} impostor and "
        f"{card.mated_comparisons:,} mated comparisons (LFW), {len(card.groups)} groups"
    )
    for line in handling:
        console.print(line)
    if reviewed:
        console.print(reviewed)
    for target in (1e-3, 1e-4, 1e-5):
        pooled = operating_point(
            card, settings.match.model_copy(update={"target_fmr": target, "rule": "pooled"})
        )
        try:
            every = operating_point(
                card,
                settings.match.model_copy(update={"target_fmr": target, "rule": "every-group"}),
            )
        except ConfigError as error:
            console.print(f"FMR {target:g}: pooled threshold {pooled.threshold:.4f}; {error}")
            continue
        console.print(
            f"FMR {target:g}: pooled threshold {pooled.threshold:.4f} (LFW FNMR "
            f"{100 * card.fnmr_at(pooled.threshold):.2f}%), every-group threshold "
            f"{every.threshold:.4f} (LFW FNMR {100 * card.fnmr_at(every.threshold):.2f}%); "
            f"too small to judge: {', '.join(every.groups_too_small) or 'none'}"
        )
    shipped = operating_point(card, settings.match)
    console.print(group_table(card, shipped, f"At the configured point: {describe_point(shipped)}"))


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
        float | None,
        typer.Option(
            "--target-fmr",
            help="Per-comparison false match rate (default: the config's match.target_fmr).",
        ),
    ] = None,
    rule: Annotated[
        str | None,
        typer.Option("--rule", help="every-group or pooled (default: the config's match.rule)."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Pipeline config (its model, target and rule)."),
    ] = None,
    card_path: Annotated[
        Path | None,
        typer.Option("--card", help="Calibration card JSON (default: the configured model's)."),
    ] = None,
    json_out: JsonOption = None,
) -> None:
    """False alerts per day, pooled and per group, and miss rates, at the operating point."""
    from clearsight.config import load_config
    from clearsight.embed import create_embedder
    from clearsight.errors import InputError
    from clearsight.evaluation import plan_operating_point, write_json
    from clearsight.match import model_card, operating_point
    from clearsight.pipeline import embedder_card

    if target_fmr is not None and not 0.0 < target_fmr < 1.0:
        raise InputError(
            f"--target-fmr: target FMR must lie strictly between 0 and 1, not {target_fmr:g}"
        )
    if rule is not None and rule not in ("every-group", "pooled"):
        raise InputError(f"--rule must be 'every-group' or 'pooled', not {rule!r}")
    settings = load_config(config)
    embedder = create_embedder(settings.embed)
    card = (
        embedder_card(embedder) if card_path is None else model_card(embedder.model_id, card_path)
    )
    update: dict[str, object] = {}
    if target_fmr is not None:
        update["target_fmr"] = target_fmr
    if rule is not None:
        update["rule"] = rule
    match = settings.match.model_copy(update=update)
    point = operating_point(card, match)
    try:
        result = plan_operating_point(card, point, watchlist_size, faces_per_day)
    except ValueError as error:
        raise InputError(str(error)) from error
    console = Console()
    console.print(
        describe_point(point)
        + f", estimated pooled FMR {result.estimated_fmr:.2e}"
        + (" [beyond what the card's data resolves]" if result.beyond_measured else "")
    )
    console.print(f"FPIR per face ~ 1-(1-FMR)^{watchlist_size} = {result.fpir:.3e}")
    console.print(
        f"false alerts per day, pooled ~ {result.false_alerts_per_day:,.1f} "
        f"(one every {24 * 60 / max(result.false_alerts_per_day, 1e-12):,.1f} min)"
    )
    console.print(f"expected miss rate on LFW (FNMR) ~ {100 * result.miss_rate:.2f}%")
    table = Table(
        "group",
        "FMR [95% upper]",
        "false alerts/day if every face were of this group [upper]",
        "FNMR (LFW)",
        title=f"Per group, {watchlist_size:,} on the watchlist, {faces_per_day:,.0f} faces/day",
    )
    for g in result.groups:
        table.add_row(
            g.name + ("" if g.judged else " (too small to judge)"),
            f"{g.fmr:.2e} [{g.fmr_high:.1e}]",
            f"{g.false_alerts_per_day:,.2f} [{g.false_alerts_per_day_high:,.2f}]",
            "-" if g.fnmr is None else f"{100 * g.fnmr:.2f}%",
        )
    console.print(table)
    if point.groups_too_small:
        console.print(f"too small to judge at this target: {', '.join(point.groups_too_small)}")
    warning = result.warning()
    if warning:
        console.print(f"[bold red]WARNING[/bold red]: {warning}")
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
