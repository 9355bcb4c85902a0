"""Commands over the face pipeline: enroll, watch, detect, compare, demo."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clearsight.cli._app import app, friendly_errors
from clearsight.cli._watch import alert_json, run_watch
from clearsight.config import ClearsightConfig, load_config
from clearsight.types import Alert

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML or JSON config file; defaults are used without it."),
]


@app.command()
@friendly_errors
def enroll(
    name: Annotated[str, typer.Argument(help="The subject's name.")],
    images: Annotated[list[Path], typer.Argument(help="One or more reference photos.")],
    watchlist: Annotated[Path, typer.Option("--watchlist", "-w", help="Watchlist SQLite file.")],
    config: ConfigOption = None,
) -> None:
    """Enrol a subject from reference photos, each of exactly one usable face."""
    from clearsight import Watchlist

    subject = Watchlist(watchlist, load_config(config)).enroll(name, images)
    Console().print(
        f"Enrolled [bold]{subject.name}[/bold] ({subject.templates} template(s)) in {watchlist}"
    )


@app.command()
@friendly_errors
def watch(
    source: Annotated[
        str, typer.Argument(help="Video file, image folder, stream URL or device:N.")
    ],
    watchlist: Annotated[Path, typer.Option("--watchlist", "-w", help="Watchlist SQLite file.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per alert per line.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Run the pipeline on a source and report alerts, one per matched track."""
    settings = load_config(config)
    console = Console(stderr=as_json)
    table = Table("time", "subject", "track", "score", "est. FMR", "source", title="Alerts")
    count = 0

    def on_alert(alert: Alert) -> None:
        nonlocal count
        count += 1
        record = alert_json(alert)
        if as_json:
            print(json.dumps(record), flush=True)
        else:
            table.add_row(
                str(record["capture_time"]),
                str(record["subject"]),
                str(record["track_id"]),
                f"{record['score']:.3f}",
                f"{record['estimated_fmr']:.1e}",
                str(record["source"]),
            )

    summary = run_watch(source, watchlist, settings, on_alert, progress=not as_json)
    if not as_json:
        console.print(table)
    console.print(
        f"{summary.frames} frames analysed, {summary.faces} faces, {summary.tracks} tracks "
        f"({summary.closer_looks} given a closer look), {count} alert(s); threshold "
        f"{summary.threshold:.3f} for target FMR {summary.point.target_fmr:g} "
        f"({summary.point.rule} rule, {summary.point.model_id} card "
        f"v{summary.point.card_version})"
    )


@dataclass(frozen=True)
class _FaceReport:
    box: tuple[float, ...]
    score: float
    width: float
    sharpness: float
    yaw: float
    usable: bool
    reason: str


@app.command()
@friendly_errors
def detect(
    image: Annotated[Path, typer.Argument(help="An image file.")],
    upsample: Annotated[int, typer.Option(help="Upsampling passes (finds smaller faces).")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """List the faces found in an image with their boxes and quality."""
    from clearsight.config import HogDetectorConfig, QualityConfig
    from clearsight.detect import HogFaceDetector
    from clearsight.embed import align_chips
    from clearsight.ingest import load_image
    from clearsight.quality import assess_face

    pixels = load_image(image)
    found = HogFaceDetector(
        HogDetectorConfig(upsample=upsample, min_face_size=20, max_width=4000)
    ).detect(pixels)
    chips = align_chips(pixels, found)
    rows = []
    for i, chip in enumerate(chips):
        q = assess_face(float(found.widths[i]), found.landmarks[i], chip, QualityConfig())
        rows.append(
            _FaceReport(
                box=tuple(round(float(v), 1) for v in found.boxes[i]),
                score=round(float(found.scores[i]), 3),
                width=round(float(found.widths[i]), 1),
                sharpness=round(q.sharpness, 1),
                yaw=round(q.yaw, 3),
                usable=q.usable,
                reason=q.reason,
            )
        )
    if as_json:
        print(json.dumps({"image": str(image), "faces": [asdict(row) for row in rows]}))
        return
    table = Table(
        "#",
        "box (x1 y1 x2 y2)",
        "width",
        "sharpness",
        "yaw",
        "usable",
        title=f"{len(rows)} face(s) in {image}",
    )
    for i, row in enumerate(rows):
        table.add_row(
            str(i + 1),
            " ".join(f"{v:.0f}" for v in row.box),
            f"{row.width:.0f}",
            f"{row.sharpness:.0f}",
            f"{row.yaw:.2f}",
            "yes" if row.usable else f"no: {row.reason}",
        )
    Console().print(table)


@app.command()
@friendly_errors
def compare(
    image_a: Annotated[Path, typer.Argument(help="First image (one face).")],
    image_b: Annotated[Path, typer.Argument(help="Second image (one face).")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    config: ConfigOption = None,
) -> None:
    """Compare the faces of two images: score, same or different, estimated false match rate."""
    from clearsight import compare as compare_faces

    comparison = compare_faces(image_a, image_b, load_config(config))
    score, point, estimate = comparison.score, comparison.operating_point, comparison.estimate
    verdict = "same" if comparison.same else "different"
    result = {
        "score": round(score, 4),
        "verdict": verdict,
        "operating_point": asdict(point),
        "estimated_fmr": estimate.fmr,
        "estimated_fmr_interval": [estimate.low, estimate.high],
        "estimated_fmr_group": estimate.group,
        "pooled_fmr": estimate.pooled_fmr,
        # Kept for scripts that read the flat fields.
        "threshold": point.threshold,
        "target_fmr": point.target_fmr,
        "model": point.model_id,
        "card_version": point.card_version,
    }
    if as_json:
        print(json.dumps(result))
    else:
        Console().print(
            f"score {score:.4f} -> [bold]{verdict}[/bold] (threshold {point.threshold:.4f}, "
            f"{point.rule} rule, target FMR {point.target_fmr:g}, {point.model_id} card "
            f"v{point.card_version}); at this score a stranger of the group the model "
            f"confuses most ({estimate.group or 'no group data'}) scores as high in "
            f"{estimate.fmr:.2e} [95% {estimate.low:.1e}-{estimate.high:.1e}] of comparisons; "
            f"pooled over everyone {estimate.pooled_fmr:.2e}"
        )


@app.command()
@friendly_errors
def demo(
    workdir: Annotated[
        Path, typer.Option(help="Where the demo clip and watchlist are written.")
    ] = Path("clearsight-demo"),
) -> None:
    """Build a synthetic CCTV clip from public-domain portraits, enrol one, and watch it."""
    from clearsight.cli._demo import run_demo

    run_demo(workdir, ClearsightConfig())


@app.command("demo-clip")
@friendly_errors
def demo_clip(
    out: Annotated[Path, typer.Argument(help="Where to write the H.264 clip (.mp4 or .ts).")],
    width: Annotated[int, typer.Option(min=160, max=3840, help="Frame width.")] = 1280,
    height: Annotated[int, typer.Option(min=120, max=2160, help="Frame height.")] = 720,
    fps: Annotated[int, typer.Option(min=1, max=60, help="Frames per second.")] = 10,
    seconds: Annotated[float, typer.Option(min=1, max=600, help="Length.")] = 8.0,
) -> None:
    """Write the demo's synthetic camera clip (two portraits walking toward the camera)."""
    from clearsight.demo import build_demo_clip

    build_demo_clip(out, width=width, height=height, fps=fps, seconds=seconds)
    Console().print(f"wrote {out} ({width}x{height}, {fps} fps, {seconds:g} s)")


@app.command("demo-photos")
@friendly_errors
def demo_photos(
    folder: Annotated[Path, typer.Argument(help="Folder to write the two portraits to.")],
) -> None:
    """Write the two public-domain portraits the demo camera shows, to enrol one of them."""
    from clearsight.demo import demo_portraits, write_demo_photos

    for portrait, path in zip(demo_portraits(), write_demo_photos(folder), strict=True):
        typer.echo(f"wrote {path}: {portrait.name} ({portrait.credit})")
    typer.echo(
        "Enrol one of them on the service's enrol page; the demo camera shows both people, "
        "so only the enrolled one raises an alert."
    )
