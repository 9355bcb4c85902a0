from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from clearsight.types._arrays import frozen_array

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class FaceDetections:
    """The faces found in one frame, as parallel arrays.

    boxes: (N, 4) float32, x1 y1 x2 y2 in pixels.
    scores: (N,) float32 detector confidence.
    landmarks: (N, 5, 2) float32 five-point landmarks, NaN until a landmark stage fills them.
    track_ids: (N,) int64, -1 until the tracker assigns them.

    Index it like an array (``detections[detections.scores > 0.5]``) to get a new container.
    """

    boxes: FloatArray
    scores: FloatArray
    landmarks: FloatArray = field(default_factory=lambda: np.zeros((0, 5, 2), np.float32))
    track_ids: IntArray = field(default_factory=lambda: np.zeros((0,), np.int64))

    def __post_init__(self) -> None:
        boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        count = len(boxes)
        scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        landmarks = np.asarray(self.landmarks, dtype=np.float32)
        if landmarks.size == 0 and count:
            landmarks = np.full((count, 5, 2), np.nan, np.float32)
        landmarks = landmarks.reshape(-1, 5, 2)
        track_ids = np.asarray(self.track_ids, dtype=np.int64).reshape(-1)
        if track_ids.size == 0 and count:
            track_ids = np.full((count,), -1, np.int64)
        for name, array in (("scores", scores), ("landmarks", landmarks), ("track_ids", track_ids)):
            if len(array) != count:
                raise ValueError(f"FaceDetections.{name} has {len(array)} rows, boxes has {count}")
        if count and bool(np.any(boxes[:, 2:] < boxes[:, :2])):
            raise ValueError("FaceDetections.boxes must be x1 y1 x2 y2 with x2 >= x1 and y2 >= y1")
        object.__setattr__(self, "boxes", frozen_array(boxes, np.float32))
        object.__setattr__(self, "scores", frozen_array(scores, np.float32))
        object.__setattr__(self, "landmarks", frozen_array(landmarks, np.float32))
        object.__setattr__(self, "track_ids", frozen_array(track_ids, np.int64))

    @classmethod
    def empty(cls) -> FaceDetections:
        return cls(boxes=np.zeros((0, 4), np.float32), scores=np.zeros((0,), np.float32))

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def __getitem__(self, index: Any) -> FaceDetections:
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return FaceDetections(
            boxes=self.boxes[index],
            scores=self.scores[index],
            landmarks=self.landmarks[index],
            track_ids=self.track_ids[index],
        )

    @property
    def widths(self) -> FloatArray:
        return np.asarray(self.boxes[:, 2] - self.boxes[:, 0], np.float32)

    @property
    def heights(self) -> FloatArray:
        return np.asarray(self.boxes[:, 3] - self.boxes[:, 1], np.float32)

    def with_landmarks(self, landmarks: npt.ArrayLike) -> FaceDetections:
        return FaceDetections(self.boxes, self.scores, np.asarray(landmarks), self.track_ids)

    def with_track_ids(self, track_ids: npt.ArrayLike) -> FaceDetections:
        return FaceDetections(self.boxes, self.scores, self.landmarks, np.asarray(track_ids))

    def scaled(self, factor: float) -> FaceDetections:
        """Coordinates multiplied by ``factor`` (to map detections on a resized frame back)."""
        return FaceDetections(
            self.boxes * factor, self.scores, self.landmarks * factor, self.track_ids
        )


def concat_detections(parts: Sequence[FaceDetections]) -> FaceDetections:
    """One container holding the rows of ``parts`` in order."""
    if not parts:
        return FaceDetections.empty()
    return FaceDetections(
        boxes=np.concatenate([part.boxes for part in parts]),
        scores=np.concatenate([part.scores for part in parts]),
        landmarks=np.concatenate([part.landmarks for part in parts]),
        track_ids=np.concatenate([part.track_ids for part in parts]),
    )
