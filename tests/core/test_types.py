from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from clearsight.types import Embedding, FaceDetections, Frame


def make_detections() -> FaceDetections:
    return FaceDetections(
        boxes=np.array([[0, 0, 10, 10], [5, 5, 25, 35], [40, 40, 60, 70]]),
        scores=np.array([0.9, 0.2, 0.6]),
    )


def test_detections_fill_landmarks_and_track_ids_with_placeholders() -> None:
    detections = make_detections()
    assert len(detections) == 3
    assert detections.landmarks.shape == (3, 5, 2)
    assert np.isnan(detections.landmarks).all()
    assert detections.track_ids.tolist() == [-1, -1, -1]


def test_boolean_indexing_returns_a_new_container() -> None:
    detections = make_detections()
    strong = detections[detections.scores > 0.5]
    assert strong.boxes.tolist() == [[0, 0, 10, 10], [40, 40, 60, 70]]
    assert len(detections) == 3  # the original is unchanged
    assert detections[1].widths.tolist() == [20.0]


def test_arrays_are_read_only() -> None:
    detections = make_detections()
    with pytest.raises(ValueError):
        detections.boxes[0, 0] = 99


def test_mismatched_rows_are_rejected() -> None:
    with pytest.raises(ValueError, match="scores has 1 rows"):
        FaceDetections(boxes=np.zeros((2, 4)), scores=np.zeros(1))


def test_inverted_boxes_are_rejected() -> None:
    with pytest.raises(ValueError, match="x2 >= x1"):
        FaceDetections(boxes=np.array([[10, 0, 5, 5]]), scores=np.ones(1))


def test_with_track_ids_and_scaling_do_not_mutate() -> None:
    detections = make_detections()
    tracked = detections.with_track_ids([4, 5, 6])
    assert tracked.track_ids.tolist() == [4, 5, 6]
    assert detections.track_ids.tolist() == [-1, -1, -1]
    assert detections.scaled(2.0).boxes[1].tolist() == [10, 10, 50, 70]


def test_embedding_is_normalised_and_model_checked() -> None:
    a = Embedding(np.array([3.0, 4.0]), "m1")
    assert np.allclose(a.vector, [0.6, 0.8])
    assert a.similarity(Embedding(np.array([3.0, 4.0]), "m1")) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="cannot compare"):
        a.similarity(Embedding(np.array([1.0, 0.0]), "m2"))
    with pytest.raises(ValueError):
        Embedding(np.zeros(2), "m1")


def test_frame_validates_pixels_and_time() -> None:
    with pytest.raises(ValueError, match="uint8"):
        Frame(np.zeros((4, 4), np.uint8), datetime.now(UTC), "cam", 0)
    with pytest.raises(ValueError, match="timezone"):
        Frame(np.zeros((4, 4, 3), np.uint8), datetime.now(), "cam", 0)
