"""What dlib's HOG and CNN detectors share: downscaling, boxes from dlib's rectangles, and
dlib's five-point landmark predictor."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from clearsight.detect._base import FaceDetector
from clearsight.detect._resize import shrink_image
from clearsight.models import load_shape_predictor_5
from clearsight.types import FaceDetections


def _downscale(image: npt.NDArray[np.uint8], max_width: int) -> tuple[npt.NDArray[np.uint8], float]:
    """The image no wider than ``max_width`` and the factor that maps its pixels back."""
    width = image.shape[1]
    if width <= max_width:
        return image, 1.0
    factor = width / max_width
    height = round(image.shape[0] / factor)
    return shrink_image(image, max_width, height), factor


def _clip_boxes(boxes: npt.NDArray[np.float32], width: int, height: int) -> npt.NDArray[np.float32]:
    clipped = boxes.copy()
    clipped[:, [0, 2]] = np.clip(clipped[:, [0, 2]], 0, width - 1)
    clipped[:, [1, 3]] = np.clip(clipped[:, [1, 3]], 0, height - 1)
    return clipped


def locate_landmarks(image: npt.NDArray[np.uint8], detections: FaceDetections) -> FaceDetections:
    """Fill five-point landmarks (dlib's predictor) for every box; returns a new container.

    Works for any detector's boxes: dlib's predictor is given each box as its face rectangle.
    """
    import dlib

    if len(detections) == 0:
        return detections
    predictor = load_shape_predictor_5()
    points = np.zeros((len(detections), 5, 2), np.float32)
    for row, (x1, y1, x2, y2) in enumerate(detections.boxes):
        rect = dlib.rectangle(int(round(x1)), int(round(y1)), int(round(x2)), int(round(y2)))
        shape = predictor(image, rect)
        points[row] = [(shape.part(i).x, shape.part(i).y) for i in range(5)]
    return detections.with_landmarks(points)


class DlibDetector(FaceDetector):
    """dlib's detectors: boxes found on a downscaled frame, landmarks by dlib's 5-point
    predictor only when asked for."""

    def __init__(self, min_face_size: int, max_width: int, upsample: int) -> None:
        self._min_face_size = min_face_size
        self._max_width = max_width
        self._upsample = upsample

    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        return locate_landmarks(image, self.detect_boxes(image))

    def detect_boxes(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        # dlib's landmark model costs about 0.65 ms a face here: skipped until asked for.
        small, factor = _downscale(image, self._max_width)
        boxes, scores = self._run(small)
        if len(boxes) == 0:
            return FaceDetections.empty()
        boxes = _clip_boxes(boxes * factor, image.shape[1], image.shape[0])
        detections = FaceDetections(boxes=boxes, scores=scores)
        return detections[detections.widths >= self._min_face_size]

    def _run(
        self, image: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        raise NotImplementedError


def rects_to_boxes(rects: Any) -> npt.NDArray[np.float32]:
    return np.array(
        [(r.left(), r.top(), r.right(), r.bottom()) for r in rects], np.float32
    ).reshape(-1, 4)
