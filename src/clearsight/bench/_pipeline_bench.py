"""``bench pipeline`` and ``bench latency``: throughput against the naive loop, alert latency.

The naive loop is what a user of a face library would write: detect every face in every
frame, embed every face, compare each with the watchlist. It runs with the very same
detector and embedder objects as the pipeline, in the same process, so the ratio between
the two is measured under the same conditions.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from clearsight.bench._resources import Percentiles, cpu_seconds, peak_resident_mb
from clearsight.config import ClearsightConfig
from clearsight.detect import FaceDetector, locate_landmarks
from clearsight.embed import Embedder
from clearsight.errors import VideoError
from clearsight.ingest import FrameSource, VideoFileSource, open_source
from clearsight.match import CalibrationCard, Gallery
from clearsight.pipeline import Pipeline
from clearsight.types import Alert, FaceDetections, Frame, OperatingPoint

# Frames searched for a face to warm the embedder with before timing.
_WARM_UP_FRAMES = 100


@dataclass(frozen=True)
class Models:
    """The detector, embedder, watchlist, card and operating point shared by every run of
    one benchmark."""

    detector: FaceDetector
    embedder: Embedder
    gallery: Gallery
    card: CalibrationCard
    point: OperatingPoint


@dataclass(frozen=True)
class ThroughputFigures:
    """One pass over one video. ``identities`` maps subject names to alerts (pipeline) or
    to faces matched above the threshold (naive loop)."""

    mode: str
    source: str
    frames: int
    faces: int
    embeddings: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    stage_ms: Mapping[str, float] = field(default_factory=dict)
    identities: Mapping[str, int] = field(default_factory=dict)
    screenings: int = 0
    """Templates without the mirror, to tell which tracks need full ones (pipeline only)."""

    @property
    def analysed_fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s else 0.0

    @property
    def faces_per_s(self) -> float:
        return self.faces / self.wall_s if self.wall_s else 0.0

    @property
    def frames_per_cpu_s(self) -> float:
        """Frames per CPU-second: steadier than frames/s on a machine shared with others."""
        return self.frames / self.cpu_s if self.cpu_s else 0.0

    @property
    def cpu_use(self) -> float:
        """CPU seconds per wall second: 1.0 is one core fully busy."""
        return self.cpu_s / self.wall_s if self.wall_s else 0.0


def _frames(source: FrameSource, limit: int | None, waited: list[float]) -> Iterator[Frame]:
    """Frames of ``source``, at most ``limit``, adding to ``waited`` the seconds the caller
    was blocked on decoding (all of decoding when the source decodes on the caller's thread,
    only what a decode thread did not hide otherwise)."""
    with source:
        iterator = iter(source)
        try:
            count = 0
            while limit is None or count < limit:
                start = time.perf_counter()
                frame = next(iterator, None)
                waited[0] += time.perf_counter() - start
                if frame is None:
                    return
                count += 1
                yield frame
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # stops a decode thread when ``limit`` cut the video short


def warm_up(spec: str, config: ClearsightConfig, models: Models) -> None:
    """Load every model before anything is timed, so neither loop pays for the loading.

    Models load lazily on first use (about 0.5 s for dlib's detector and landmark model);
    without this, whichever loop ran first would carry that cost in its figures. The first
    frame with a face (of the first 100) warms the embedder with real chips.
    """
    locate_landmarks(np.zeros((100, 100, 3), np.uint8), FaceDetections(
        boxes=np.array([[10, 10, 90, 90]], np.float32), scores=np.ones(1, np.float32)
    ))  # fmt: skip
    for frame in _frames(_throughput_source(spec, config), _WARM_UP_FRAMES, [0.0]):
        detections = models.detector.detect(frame.image)
        if len(detections):
            models.embedder.embed(models.embedder.cut_chips(frame.image, detections))
            return


def _throughput_source(spec: str, config: ClearsightConfig) -> FrameSource:
    return open_source(spec, config.ingest.model_copy(update={"realtime": False}))


def run_pipeline(
    spec: str, config: ClearsightConfig, models: Models, limit: int | None = None
) -> ThroughputFigures:
    """Frames of ``spec`` through the pipeline as fast as they can be analysed."""
    pipeline = Pipeline(
        config, models.gallery, card=models.card, detector=models.detector,
        embedder=models.embedder, point=models.point,
    )  # fmt: skip
    decode = [0.0]
    found: Counter[str] = Counter()
    cpu, start = cpu_seconds(), time.perf_counter()
    for frame in _frames(_throughput_source(spec, config), limit, decode):
        found.update(alert.subject_name for alert in pipeline.process(frame))
    found.update(alert.subject_name for alert in pipeline.flush())
    wall = time.perf_counter() - start
    stats = pipeline.stats
    stages = {"decode wait": 1000 * decode[0] / max(stats.frames, 1), **stats.ms_per_frame()}
    return ThroughputFigures(
        "pipeline", spec, stats.frames, stats.faces, stats.embeddings, wall,
        cpu_seconds() - cpu, peak_resident_mb(), stages, dict(found), stats.screenings,
    )  # fmt: skip


def run_naive(
    spec: str, config: ClearsightConfig, models: Models, limit: int | None = None
) -> ThroughputFigures:
    """The naive loop: detect and embed every face of every frame, match each on its own."""
    threshold = models.point.threshold
    seconds: dict[str, float] = defaultdict(float)
    decode = [0.0]
    found: Counter[str] = Counter()
    frames = faces = 0
    cpu, start = cpu_seconds(), time.perf_counter()
    for frame in _frames(_throughput_source(spec, config), limit, decode):
        frames += 1
        began = time.perf_counter()
        detections = models.detector.detect(frame.image)
        seconds["detect"] += time.perf_counter() - began
        faces += len(detections)
        if len(detections) == 0 or len(models.gallery) == 0:
            continue
        began = time.perf_counter()
        vectors = models.embedder.embed(models.embedder.cut_chips(frame.image, detections))
        seconds["embed"] += time.perf_counter() - began
        began = time.perf_counter()
        scores = models.gallery.subject_scores(vectors)
        best = scores.argmax(axis=1)
        for subject, score in zip(best, scores.max(axis=1), strict=True):
            if score >= threshold:
                found[models.gallery.subject_names[int(subject)]] += 1
        seconds["match"] += time.perf_counter() - began
    wall = time.perf_counter() - start
    stages = {"decode wait": decode[0], **seconds}
    return ThroughputFigures(
        "naive", spec, frames, faces, faces, wall, cpu_seconds() - cpu, peak_resident_mb(),
        {stage: 1000 * value / max(frames, 1) for stage, value in stages.items()}, dict(found),
    )  # fmt: skip


@dataclass(frozen=True)
class LatencyFigures:
    """A real-time replay: frame latency (capture to analysed) and alert latency (capture
    of the frame that decided the alert to the alert stored), in milliseconds."""

    source: str
    frames_in_clip: int
    frames_analysed: int
    frame_latency: Percentiles
    alert_latency: Percentiles
    alerts: int


def _store_alert(log: Path, alert: Alert) -> None:
    """Append one alert to a JSON-lines log and fsync it: stored means durable on disk."""
    line = json.dumps({"alert_id": alert.alert_id, "subject_id": alert.subject_id,
                       "capture_time": alert.capture_time.isoformat()})  # fmt: skip
    with log.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def run_latency(
    path: Path, config: ClearsightConfig, models: Models, log: Path, repeats: int = 1
) -> LatencyFigures:
    """Replay ``path`` ``repeats`` times at its own frame rate, as a camera would deliver it."""
    ingest = config.ingest.model_copy(update={"realtime": True})
    frame_ms: list[float] = []
    alert_ms: list[float] = []
    clip_frames = _count_frames(path)
    for _ in range(repeats):
        pipeline = Pipeline(
            config, models.gallery, card=models.card, detector=models.detector,
            embedder=models.embedder, point=models.point,
        )  # fmt: skip
        # Capture times start now, so "now - capture time" is the delay a live camera sees.
        with VideoFileSource(path, ingest, start_time=datetime.now(UTC)) as source:
            for frame in source:
                alerts = pipeline.process(frame)
                for alert in alerts:
                    _store_alert(log, alert)
                    alert_ms.append(_ms_since(frame.capture_time))
                frame_ms.append(_ms_since(frame.capture_time))
        pipeline.flush()
    return LatencyFigures(
        str(path), clip_frames * repeats, len(frame_ms), Percentiles.of(frame_ms),
        Percentiles.of(alert_ms), len(alert_ms),
    )  # fmt: skip


def _count_frames(path: Path) -> int:
    """Frames in the clip, decoded once without pacing (a camera's dropped frames included)."""
    import av

    try:
        with av.open(str(path)) as container:
            return sum(1 for _ in container.decode(video=0))
    except (av.error.FFmpegError, OSError) as error:
        raise VideoError(f"{path}: cannot decode the clip ({error})") from error


def _ms_since(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds() * 1000
