from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from clearsight.detect._base import FaceDetector
from clearsight.types import FaceDetections, iou_matrix

# dlib's HOG window is 80 px: a face is found reliably from about that width up. A region
# around a known face is scaled so the face is about this wide, which is cheap and safe.
_COMFORTABLE_FACE_PX = 100.0


def expand_boxes(
    boxes: npt.NDArray[np.float32], margin: float, width: int, height: int
) -> npt.NDArray[np.float32]:
    """Boxes grown by ``margin`` times their size on every side, clipped to the frame."""
    if len(boxes) == 0:
        return np.zeros((0, 4), np.float32)
    size = boxes[:, 2:] - boxes[:, :2]
    grown = np.concatenate([boxes[:, :2] - margin * size, boxes[:, 2:] + margin * size], axis=1)
    grown[:, [0, 2]] = np.clip(grown[:, [0, 2]], 0, width - 1)
    grown[:, [1, 3]] = np.clip(grown[:, [1, 3]], 0, height - 1)
    return grown.astype(np.float32)


def non_max_suppression(detections: FaceDetections, iou_threshold: float = 0.4) -> FaceDetections:
    """Drop boxes that overlap a higher-scored box (the same face found in two regions)."""
    if len(detections) < 2:
        return detections
    order = np.argsort(-detections.scores)
    overlap = iou_matrix(detections.boxes[order], detections.boxes[order])
    keep: list[int] = []
    for rank in range(len(order)):
        if all(overlap[rank, kept] < iou_threshold for kept in keep):
            keep.append(rank)
    return detections[np.sort(order[keep])]


def detect_in_regions(
    detector: FaceDetector,
    image: npt.NDArray[np.uint8],
    regions: npt.NDArray[np.float32],
    face_widths: npt.NDArray[np.float32],
) -> FaceDetections:
    """Faces found inside ``regions`` only, in full-frame coordinates.

    Where a region's expected face width is known (a tracked face), the crop is scaled so
    that face is about 100 px wide; where it is NaN (a motion region) the crop is searched
    at the detector's own scale.
    """
    found: list[FaceDetections] = []
    for (x1, y1, x2, y2), face_width in zip(regions, face_widths, strict=True):
        left, top, right, bottom = int(x1), int(y1), int(x2) + 1, int(y2) + 1
        crop = image[top:bottom, left:right]
        if crop.shape[0] < 16 or crop.shape[1] < 16:
            continue
        scale = 1.0
        if np.isfinite(face_width) and face_width > _COMFORTABLE_FACE_PX:
            scale = _COMFORTABLE_FACE_PX / float(face_width)
            size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
            crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), np.uint8)
        local = detector.detect(np.ascontiguousarray(crop))
        if len(local) == 0:
            continue
        offset = np.array([left, top], np.float32)
        found.append(
            FaceDetections(
                boxes=local.boxes / scale + np.tile(offset, 2),
                scores=local.scores,
                landmarks=local.landmarks / scale + offset,
            )
        )
    if not found:
        return FaceDetections.empty()
    merged = FaceDetections(
        boxes=np.concatenate([d.boxes for d in found]),
        scores=np.concatenate([d.scores for d in found]),
        landmarks=np.concatenate([d.landmarks for d in found]),
    )
    return non_max_suppression(merged)
