from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clearsight.types import FaceDetections

CHIP_SIZE = 150
# dlib's ResNet was trained on chips with 25% padding around the landmark-aligned face.
CHIP_PADDING = 0.25


def align_chips(
    image: npt.NDArray[np.uint8], detections: FaceDetections
) -> list[npt.NDArray[np.uint8]]:
    """One 150x150 RGB chip per face, rotated and scaled from its five landmarks (dlib's way)."""
    import dlib

    if len(detections) == 0:
        return []
    if bool(np.isnan(detections.landmarks).any()):
        raise ValueError("align_chips needs landmarks; run locate_landmarks first")
    shapes = dlib.full_object_detections()
    for box, points in zip(detections.boxes, detections.landmarks, strict=True):
        rect = dlib.rectangle(*(int(round(v)) for v in box))
        parts = dlib.points()
        for x, y in points:
            parts.append(dlib.point(int(round(x)), int(round(y))))
        shapes.append(dlib.full_object_detection(rect, parts))
    chips = dlib.get_face_chips(np.ascontiguousarray(image), shapes, CHIP_SIZE, CHIP_PADDING)
    return [np.asarray(chip, dtype=np.uint8) for chip in chips]
