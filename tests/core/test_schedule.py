"""Motion gating and region-of-interest detection: less work, the same faces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from clearsight.config import (
    ClearsightConfig,
    DlibResNetEmbedConfig,
    HogDetectorConfig,
    ScheduleConfig,
)
from clearsight.detect import (
    FaceDetector,
    HogFaceDetector,
    detect_in_regions,
    expand_boxes,
    non_max_suppression,
)
from clearsight.ingest import open_source
from clearsight.match import Gallery
from clearsight.motion import MotionDetector
from clearsight.pipeline import Pipeline
from clearsight.types import FaceDetections, Frame


def _scene(square_at: int | None) -> np.ndarray:
    rng = np.random.default_rng(0)
    image = np.full((360, 640, 3), 90, np.uint8)
    image = np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)  # sensor noise
    if square_at is not None:
        image[100:180, square_at : square_at + 80] = 230
    return image


def test_static_noisy_scene_is_not_motion_and_a_moving_object_is() -> None:
    motion = MotionDetector(ScheduleConfig())
    assert motion.update(_scene(None)).moving  # the first frame is all new
    assert not motion.update(_scene(None)).moving
    moved = motion.update(_scene(300))
    assert moved.moving
    x1, y1, x2, y2 = moved.boxes[0]
    assert x1 <= 300 and x2 >= 380 and y1 <= 100 and y2 >= 180
    assert x2 - x1 < 200  # a box around the change, not the whole frame


def test_expand_boxes_is_clipped_to_the_frame() -> None:
    grown = expand_boxes(np.array([[10, 10, 30, 30]], np.float32), 1.0, 100, 50)
    assert grown.tolist() == [[0, 0, 50, 49]]


def test_non_max_suppression_keeps_the_best_of_overlapping_boxes() -> None:
    detections = FaceDetections(
        boxes=np.array([[0, 0, 100, 100], [5, 5, 105, 105], [300, 300, 400, 400]]),
        scores=np.array([0.5, 0.9, 0.7]),
    )
    kept = non_max_suppression(detections)
    assert kept.scores.tolist() == pytest.approx([0.9, 0.7])


@pytest.mark.slow
def test_region_detection_finds_the_face_full_detection_finds(demo_clip: Path) -> None:
    frame = next(f for f in open_source(str(demo_clip)) if f.index == 30)
    detector = HogFaceDetector()
    full = detector.detect(frame.image)
    assert len(full) == 1
    region = expand_boxes(full.boxes, 0.6, frame.width, frame.height)
    local = detect_in_regions(detector, frame.image, region, full.widths)
    assert len(local) == 1
    assert np.abs(local.boxes - full.boxes).max() < 0.15 * float(full.widths[0])
    assert not np.isnan(local.landmarks).any()


@pytest.mark.slow
def test_scheduled_pipeline_detects_far_less_and_tracks_the_same(demo_clip: Path) -> None:
    results = {}
    for enabled in (True, False):
        config = ClearsightConfig(schedule=ScheduleConfig(enabled=enabled))
        pipeline = Pipeline(config, Gallery.build("dlib-resnet-v1", []))
        for frame in open_source(str(demo_clip)):
            pipeline.process(frame)
        results[enabled] = pipeline.stats
    scheduled, every_frame = results[True], results[False]
    assert every_frame.full_detections == 80
    # The demo clip is 8 s long: one whole-frame search per interval, nothing more.
    assert scheduled.full_detections <= 8 / ScheduleConfig().full_frame_interval_s + 1
    assert scheduled.region_detections >= 70
    assert scheduled.tracks == every_frame.tracks == 2
    assert scheduled.faces >= every_frame.faces - 4


class _CountingDetector(FaceDetector):
    """Finds nothing; counts the whole-frame searches it is asked for (the seam under test)."""

    def __init__(self) -> None:
        self.full_searches = 0

    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        if image.shape[:2] == (360, 640):
            self.full_searches += 1
        return FaceDetections.empty()


@pytest.mark.parametrize(("interval", "expected"), [(2.0, 2), (1.0, 3), (0.25, 11)])
def test_whole_frame_searches_follow_capture_time_not_frame_count(
    interval: float, expected: int
) -> None:
    detector = _CountingDetector()
    config = ClearsightConfig(
        detector=HogDetectorConfig(),
        embed=DlibResNetEmbedConfig(),
        schedule=ScheduleConfig(full_frame_interval_s=interval),
    )
    pipeline = Pipeline(
        config, Gallery.build("dlib-resnet-v1", []), detector=detector, embedder=None
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for index in range(11):  # 2.5 s of a still scene at 4 frames a second
        when = start + timedelta(seconds=0.25 * index)
        pipeline.process(Frame(_scene(None), when, "cam", index))
    assert detector.full_searches == expected
    # A replay that steps back in time (a looped file) searches the whole frame at once.
    pipeline.process(Frame(_scene(None), start, "cam", 11))
    assert detector.full_searches == expected + 1


def _face_moved_sideways(demo_clip: Path) -> tuple[Frame, Frame, FaceDetections]:
    """Frame 30 of the demo, the same frame with everything 0.6 face widths to the right
    0.1 s later, and the face HOG finds in the first."""
    first = next(f for f in open_source(str(demo_clip)) if f.index == 30)
    face = HogFaceDetector().detect(first.image)
    assert len(face) == 1
    # Moved 0.6 face widths: 0.4 of it is outside a tight region of 0.2 widths each side,
    # while its box still overlaps the old one enough to continue the track.
    shift = int(0.6 * float(face.widths[0]))
    moved = Frame(
        np.ascontiguousarray(np.roll(first.image, shift, axis=1)),
        first.capture_time + timedelta(seconds=0.1),
        first.source,
        31,
    )
    return first, moved, face


@pytest.mark.slow
def test_a_face_cut_by_its_region_is_dropped_not_followed_by_half(demo_clip: Path) -> None:
    _, moved, face = _face_moved_sideways(demo_clip)
    tight = expand_boxes(face.boxes, 0.2, moved.width, moved.height)
    detector = HogFaceDetector()
    kept = detect_in_regions(detector, moved.image, tight, face.widths)
    # HOG reports the face the crop cuts through, with a box cut short at the crop's edge.
    assert len(kept) == 1 and float(kept.widths[0]) < 0.8 * float(face.widths[0])
    assert (
        len(detect_in_regions(detector, moved.image, tight, face.widths, drop_cut_faces=True)) == 0
    )


@pytest.mark.slow
def test_a_face_that_left_its_tight_region_is_found_whole_by_the_wider_retry(
    demo_clip: Path,
) -> None:
    first, moved, face = _face_moved_sideways(demo_clip)
    schedule = ScheduleConfig(track_margin=0.2, track_retry_margin=0.8)
    pipeline = Pipeline(ClearsightConfig(schedule=schedule), Gallery.build("dlib-resnet-v1", []))
    pipeline.process(first)
    pipeline.process(moved)
    assert pipeline.stats.full_detections == 1 and pipeline.stats.region_detections == 1
    assert pipeline.stats.widened_searches == 1
    assert pipeline.stats.faces == 2 and pipeline.stats.tracks == 1
    wide = expand_boxes(face.boxes, 0.8, moved.width, moved.height)
    whole = detect_in_regions(HogFaceDetector(), moved.image, wide, face.widths)
    assert len(whole) == 1 and float(whole.widths[0]) > 0.85 * float(face.widths[0])


@pytest.mark.slow
def test_boxes_only_detection_skips_landmarks_and_detect_fills_them(demo_clip: Path) -> None:
    frame = next(f for f in open_source(str(demo_clip)) if f.index == 30)
    detector = HogFaceDetector()
    boxes_only, full = detector.detect_boxes(frame.image), detector.detect(frame.image)
    assert len(boxes_only) == len(full) == 1
    assert np.array_equal(boxes_only.boxes, full.boxes)
    assert np.isnan(boxes_only.landmarks).all() and not np.isnan(full.landmarks).any()
