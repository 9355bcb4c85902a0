"""Motion gating and region-of-interest detection: less work, the same faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearsight.config import ClearsightConfig, ScheduleConfig
from clearsight.detect import HogFaceDetector, detect_in_regions, expand_boxes, non_max_suppression
from clearsight.ingest import open_source
from clearsight.match import Gallery
from clearsight.motion import MotionDetector
from clearsight.pipeline import Pipeline
from clearsight.types import FaceDetections


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
    assert scheduled.full_detections <= 80 // ScheduleConfig().full_frame_every + 1
    assert scheduled.region_detections >= 70
    assert scheduled.tracks == every_frame.tracks == 2
    assert scheduled.faces >= every_frame.faces - 4
