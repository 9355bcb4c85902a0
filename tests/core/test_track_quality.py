from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np

from clearsight.config import QualityConfig, TrackConfig
from clearsight.quality import BestSamples, assess_face, assess_geometry
from clearsight.track import IouTracker, iou_matrix
from clearsight.types import FaceDetections, FaceSample


def _dets(*boxes: tuple[float, float, float, float]) -> FaceDetections:
    return FaceDetections(
        boxes=np.array(boxes, np.float32).reshape(-1, 4), scores=np.ones(len(boxes))
    )


def test_iou_matrix_known_values() -> None:
    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    assert np.allclose(iou_matrix(a, b), [[1.0, 50 / 150, 0.0]])


def test_two_walkers_keep_their_ids_and_a_newcomer_gets_a_new_one() -> None:
    tracker = IouTracker(TrackConfig(iou_threshold=0.2, max_missed_frames=2))
    ids_a, ids_b = set(), set()
    for step in range(10):
        out = tracker.update(
            _dets(
                (10 + 8 * step, 50, 70 + 8 * step, 110), (400 - 8 * step, 60, 460 - 8 * step, 120)
            )
        )
        ids_a.add(int(out.track_ids[0]))
        ids_b.add(int(out.track_ids[1]))
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b
    late = tracker.update(_dets((700, 300, 760, 360)))
    assert int(late.track_ids[0]) not in ids_a | ids_b


def test_track_survives_short_gaps_and_ends_after_max_missed() -> None:
    tracker = IouTracker(TrackConfig(iou_threshold=0.2, max_missed_frames=2))
    first = int(tracker.update(_dets((0, 0, 50, 50))).track_ids[0])
    tracker.update(FaceDetections.empty())
    assert int(tracker.update(_dets((2, 2, 52, 52))).track_ids[0]) == first
    for _ in range(3):
        tracker.update(FaceDetections.empty())
    assert first in tracker.last_event.ended or first not in tracker.active_ids
    assert int(tracker.update(_dets((2, 2, 52, 52))).track_ids[0]) != first


FRONTAL = np.array([[90, 50], [70, 50], [30, 50], [50, 50], [60, 80]], np.float32)


def _textured_chip(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (150, 150, 3), dtype=np.uint8)


def test_quality_refuses_small_blurred_and_turned_faces() -> None:
    config = QualityConfig(min_face_px=60, min_sharpness=20, max_yaw=0.45)
    chip = _textured_chip()
    assert assess_face(120, FRONTAL, chip, config).usable
    small = assess_face(40, FRONTAL, chip, config)
    assert not small.usable and "under 60 px" in small.reason
    blurred = assess_face(120, FRONTAL, cv2.GaussianBlur(chip, (31, 31), 12), config)
    assert not blurred.usable and "blurred" in blurred.reason
    turned = FRONTAL.copy()
    turned[4] = [88, 80]  # nose under one eye: a profile view
    profile = assess_face(120, turned, chip, config)
    assert not profile.usable and "turned" in profile.reason


def test_geometry_alone_bounds_the_score_and_refuses_what_the_chip_would() -> None:
    """The pipeline cuts a chip only for a face whose size and pose could make the cut:
    the ceiling must never be below the score the chip then gives."""
    config = QualityConfig(min_face_px=60, min_sharpness=20, max_yaw=0.45)
    turned = FRONTAL.copy()
    turned[4] = [88, 80]
    for width, points in ((40, FRONTAL), (70, FRONTAL), (180, FRONTAL), (120, turned)):
        geometry = assess_geometry(width, points, config)
        for seed in range(3):
            chip = _textured_chip(seed)
            for image in (chip, cv2.GaussianBlur(chip, (5, 5), 1.5)):
                face = assess_face(width, points, image, config)
                assert face.score <= geometry.score_ceiling + 1e-9
                if not geometry.usable:
                    assert not face.usable and face.reason == geometry.reason
    assert not assess_geometry(40, FRONTAL, config).usable
    assert not assess_geometry(120, turned, config).usable
    assert assess_geometry(180, FRONTAL, config).score_ceiling == 1.0


def test_larger_sharper_faces_score_higher() -> None:
    config = QualityConfig()
    chip = _textured_chip()
    assert (
        assess_face(180, FRONTAL, chip, config).score > assess_face(70, FRONTAL, chip, config).score
    )


def _sample(quality: float) -> FaceSample:
    return FaceSample(
        1,
        "cam",
        datetime.now(UTC),
        0,
        (0, 0, 1, 1),
        quality,
        np.zeros((1, 1, 3), np.uint8),
        np.zeros((1, 1, 3), np.uint8),
    )


def test_best_samples_keeps_the_top_n() -> None:
    best = BestSamples(3)
    for q in [0.1, 0.9, 0.5, 0.2, 0.7, 0.3]:
        best.offer(_sample(q))
    assert [s.quality for s in best.best_first()] == [0.9, 0.7, 0.5]
    assert not best.would_keep(0.4) and best.would_keep(0.6)
    assert best.seen == 6
