from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clearsight.detect import DETECTORS, DetectorSettings
from clearsight.embed import EMBEDDERS, EmbedderSettings

# The detector and embedder sections are unions of the plugins registered with each stage,
# told apart by `type`, built here where the config is defined (each plugin module holds its
# own settings class). Type checkers see the plugins' common base.
if TYPE_CHECKING:
    DetectorConfig: TypeAlias = DetectorSettings
    EmbedConfig: TypeAlias = EmbedderSettings
else:
    DetectorConfig = DETECTORS.config_type()
    EmbedConfig = EMBEDDERS.config_type()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _types_named(types: list[str]) -> str:
    """``"a" (or "b", "c")``: the first type suggested, the others as alternatives."""
    if not types:
        return "a type of that landmark scheme (none is registered)"
    first, *others = (f'"{name}"' for name in types)
    return f"{first} (or {', '.join(others)})" if others else first


class IngestConfig(_Section):
    reconnect_initial_s: float = Field(
        1.0,
        gt=0,
        title="First reconnect delay (s)",
        description="Wait before reopening a dropped stream.",
    )
    reconnect_max_s: float = Field(
        30.0, gt=0, title="Longest reconnect delay (s)", description="Backoff doubles up to this."
    )
    max_fps: float | None = Field(
        None,
        gt=0,
        title="Analysed frames per second",
        description="Frames beyond this rate are skipped before decoding work is spent on them; "
        "None analyses every frame.",
    )
    skip_unreferenced_frames: bool = Field(
        True,
        title="Skip frames nothing refers to",
        description="When `max_fps` is at most half the stream's frame rate, the decoder skips "
        "frames no other frame is predicted from (H.264/H.265 non-reference frames: about half "
        "of a B-frame stream, none of an I/P-only one). Most would be dropped unseen, and "
        "decoding is a camera's largest fixed cost (about 10 ms a 1080p frame); the analysed "
        "frames keep `max_fps` on average, a little less evenly spaced.",
    )
    realtime: bool = Field(
        False,
        title="Pace files in real time",
        description="Replay a video file at its own frame rate, dropping stale frames like a camera.",
    )
    decode_ahead: int = Field(
        4,
        ge=0,
        le=64,
        title="Frames decoded ahead (files)",
        description="A video file is decoded on its own thread, up to this many frames ahead "
        "of analysis, so decoding uses the second core; 0 decodes on the analysis thread. A "
        "real-time replay keeps one frame ahead, as a camera would. Each frame held costs "
        "width x height x 3 bytes (6 MB at 1080p).",
    )
    loop: bool = Field(
        False,
        title="Replay files forever",
        description="When a video file ends, start it again (a demo or test camera); camera "
        "workers honour it, one-shot commands such as `clearsight watch` read a file once.",
    )


class ScheduleConfig(_Section):
    enabled: bool = Field(
        True,
        title="Detect only where needed",
        description="Skip detection on frames with no motion and search only around tracked faces "
        "and new motion, with a full-frame search every `full_frame_interval_s` seconds. Off: "
        "detect on every whole frame.",
    )
    full_frame_interval_s: float = Field(
        2.0,
        gt=0,
        title="Full-frame search interval (s)",
        description="A whole-frame detection at least this often (by capture time) catches "
        "faces that entered without motion outside existing tracks, for example beside a "
        "tracked person. Its cost is the dearest single step at 1080p (about 90 ms), so the "
        "interval sets much of the pipeline's speed; a face missed by it is still found by "
        "motion and track regions in between.",
    )
    track_margin: float = Field(
        0.3,
        ge=0.2,
        le=4,
        title="Search margin around a track",
        description="Region searched around a track's predicted box, in box sizes on each side. "
        "Small is cheap; a face not found there gets a second, wider look.",
    )
    track_retry_margin: float = Field(
        0.8,
        ge=0.2,
        le=4,
        title="Wider search margin around a track",
        description="Where a track's face is not in its tight region (it moved or grew faster "
        "than predicted), a region this many box sizes on each side is searched before the "
        "track counts a missed frame.",
    )
    motion_width: int = Field(
        160,
        ge=32,
        title="Motion image width (px)",
        description="Frames are shrunk to this for motion.",
    )
    motion_threshold: int = Field(
        18,
        ge=1,
        le=255,
        title="Motion threshold",
        description="Grey-level change (after blurring) that counts as motion, above sensor noise.",
    )
    motion_min_area: float = Field(
        0.002,
        ge=0,
        lt=1,
        title="Smallest motion",
        description="Changed regions smaller than this share of the frame are ignored.",
    )


class TrackConfig(_Section):
    iou_threshold: float = Field(
        0.2,
        gt=0,
        lt=1,
        title="IoU to continue a track",
        description="Minimum box overlap with a track's last box for a detection to join it.",
    )
    max_missed_frames: int = Field(
        15, ge=0, title="Frames a track may miss", description="A track unseen for longer ends."
    )


class QualityConfig(_Section):
    min_face_px: int = Field(
        32,
        ge=16,
        title="Smallest face matched (px)",
        description="Narrower faces (detector box width in the frame) are never matched. "
        "Measured for SFace on LFW faces shrunk to each width, against full-size references: "
        "the false match rate at the threshold does not rise down to 20 px, the true match "
        "rate does fall (97% at 40 px, 96% at 32, 93% at 24, 84% at 20); see docs/models.md. "
        "dlib's ResNet (HOG boxes are tighter) was tuned at 60. Reference photos must show a "
        "face at least 60 px wide whatever this says.",
    )
    min_sharpness: float = Field(
        6.0,
        ge=0,
        title="Minimum sharpness",
        description="Variance of the Laplacian of the aligned chip; blurrier faces are never "
        "matched. Measured for SFace on LFW faces 48 px wide blurred step by step: blur never "
        "raised the false match rate at the threshold, it lowered the true match rate (96% "
        "at sharpness 47, 93% at 17, 86% at 9, 66% at 6, 10% at 4), so faces under 6 are "
        "not worth embedding; see docs/models.md. dlib's 150 px chips were tuned at 20.",
    )
    max_yaw: float = Field(
        0.45,
        gt=0,
        le=1,
        title="Largest head turn",
        description="Offset of the nose from the eyes' midpoint along the eye line, as a share of half "
        "the eye distance (0 frontal, 1 nose under an eye).",
    )
    samples_per_track: int = Field(
        5, ge=1, le=50, title="Samples kept per track", description="Best-quality faces embedded."
    )


class MatchConfig(_Section):
    target_fmr: float = Field(
        1e-4,
        gt=0,
        lt=1,
        title="Target false match rate",
        description="Per comparison. The score threshold is read from the model's calibration card.",
    )
    rule: Literal["every-group", "pooled"] = Field(
        "every-group",
        title="Threshold rule",
        description="every-group: the lowest score at which every demographic group the card "
        "can judge stays at or under the target (upper end of its 95% interval); pooled: all "
        "impostor comparisons together, which leaves the groups the model fails most above it.",
    )
    min_agreeing_samples: int = Field(
        2,
        ge=1,
        title="Agreeing samples needed",
        description="Samples of a track that must pass the threshold for the same subject.",
    )
    tie_margin: float = Field(
        0.02,
        ge=0,
        title="Tie margin",
        description="A sample whose best and second-best subjects score within this margin does "
        "not vote; a track whose top two subjects have as many votes is rejected as a tie.",
    )
    max_embeddings_per_track: int = Field(
        12,
        ge=1,
        title="Embeddings per track",
        description="Cap on templates computed for one track while better samples keep arriving.",
    )
    closer_look_fmr: float = Field(
        1e-2,
        gt=0,
        lt=1,
        title="Closer-look false match rate",
        description="Tracks are first screened on templates without the mirror (half the "
        "cost); a track gets full templates and a decision only once a screened sample "
        "scores at least the card's pooled score for this FMR (and 0.1 under the threshold) "
        "against a subject: a face that might be on the watchlist gets a closer look, a face "
        "clearly of nobody on it does not. 1e-2 keeps 99% of LFW's mated pairs for SFace; a "
        "larger watchlist puts more tracks under a closer look (CPU, not accuracy).",
    )
    better_sample_gain: float = Field(
        0.1,
        ge=0,
        le=1,
        title="Quality gain worth a new screening",
        description="After the samples a decision needs, a track not under a closer look is "
        "screened again only on a sample whose quality score (0-1) beats its best screened "
        "one by this much (0 screens every better sample).",
    )


class AlertConfig(_Section):
    crop_margin: float = Field(
        0.4,
        ge=0,
        le=2,
        title="Crop margin",
        description="Context kept around the face in evidence.",
    )
    repeat_after_s: float = Field(
        300.0,
        ge=0,
        title="Quiet time per subject (s)",
        description="A subject alerted on a camera is not alerted again on it for this long, "
        "by capture time: a later track that matches them is decided and dropped with its "
        "evidence, so one visit raises one alert to review (a person lost and found again by "
        "the tracker, or the looped demo clip, would otherwise raise one per track). 0 alerts "
        "on every matching track.",
    )


class ClearsightConfig(_Section):
    detector: DetectorConfig = Field(
        default_factory=DETECTORS.default_settings,
        title="Face detector",
        description="Chosen by its `type`: `yunet` (default), `hog` or `cnn` (dlib's, paired "
        'with `embed.type = "dlib"`), or `scrfd` or `retinaface` (an ONNX file you supply).',
    )
    ingest: IngestConfig = Field(
        default_factory=IngestConfig, title="Ingest", description="Reading frames."
    )
    schedule: ScheduleConfig = Field(
        default_factory=ScheduleConfig,
        title="Detection schedule",
        description="Motion gating and region-of-interest detection.",
    )
    track: TrackConfig = Field(
        default_factory=TrackConfig, title="Tracking", description="Following faces across frames."
    )
    quality: QualityConfig = Field(
        default_factory=QualityConfig,
        title="Quality",
        description="Which faces are worth matching.",
    )
    embed: EmbedConfig = Field(
        default_factory=EMBEDDERS.default_settings,
        title="Embedding",
        description="Turning faces into templates. Chosen by its `type`: `sface` (default), "
        "`dlib` (dlib's ResNet, paired with the `hog` or `cnn` detector) or `onnx-file` (an "
        "ONNX file you supply).",
    )
    match: MatchConfig = Field(
        default_factory=MatchConfig, title="Matching", description="Deciding identity per track."
    )
    alert: AlertConfig = Field(
        default_factory=AlertConfig, title="Alerts", description="Evidence attached to alerts."
    )

    @model_validator(mode="after")
    def _landmarks_fit_the_embedder(self) -> ClearsightConfig:
        # Chips are cut from the detector's five landmarks: dlib's detectors give dlib's
        # points (eye corners, nose base) for dlib's ResNet; YuNet and SCRFD give
        # InsightFace's (eyes, nose tip, mouth corners) for SFace and ArcFace-style models.
        # Mixed, every chip is misaligned and matching silently degrades, so it is refused.
        detector_scheme = self.detector.landmark_scheme
        embed_scheme = self.embed.landmark_scheme
        if detector_scheme != embed_scheme:
            raise ValueError(
                f'detector.type "{self.detector.type}" gives {detector_scheme} landmarks, '
                f'which embed.type "{self.embed.type}" cannot cut chips from: set '
                f"detector.type = {_types_named(DETECTORS.types(embed_scheme))}, or "
                f"embed.type = {_types_named(EMBEDDERS.types(detector_scheme))}"
            )
        return self
