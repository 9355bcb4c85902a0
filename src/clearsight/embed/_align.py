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


# Where InsightFace's ArcFace expects the five landmarks in a 112x112 chip.
ARCFACE_POINTS = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    np.float32,
)


def similarity_transform(
    source: npt.NDArray[np.float32], target: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The 2x3 rotation, uniform scale and shift that best maps ``source`` points onto
    ``target`` in least squares (Umeyama, 1991), as InsightFace and OpenCV's SFace align.

    A robust fit (OpenCV's LMEDS) drops a landmark it takes for an outlier and aligns the
    face differently from how the model was trained: on LFW that lost 0.12 points of
    accuracy with SFace (99.30% against 99.42%).
    """
    src = source.astype(np.float64)
    dst = target.astype(np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_centred, dst_centred = src - src_mean, dst - dst_mean
    u, singular, vt = np.linalg.svd(dst_centred.T @ src_centred / len(src))
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    variance = float(src_centred.var(axis=0).sum())
    if variance == 0:
        raise ValueError(f"landmarks {source.tolist()} give no similarity transform")
    scale = float(np.trace(np.diag(singular) @ sign)) / variance
    shift = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, shift[:, None]]).astype(np.float32)


def arcface_chips(
    image: npt.NDArray[np.uint8], detections: FaceDetections, size: int = 112
) -> list[npt.NDArray[np.uint8]]:
    """One size x size RGB chip per face, aligned from its InsightFace-order landmarks."""
    import cv2  # imported with the model, not with its settings

    if len(detections) and bool(np.isnan(detections.landmarks).any()):
        raise ValueError("arcface_chips needs five landmarks per face")
    target = ARCFACE_POINTS * (size / 112.0)
    chips: list[npt.NDArray[np.uint8]] = []
    for points in detections.landmarks:
        matrix = similarity_transform(points, target)
        chip = cv2.warpAffine(image, matrix, (size, size), borderValue=(0, 0, 0))
        chips.append(np.asarray(chip, np.uint8))
    return chips
