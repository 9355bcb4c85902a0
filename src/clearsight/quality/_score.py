from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from clearsight.config import QualityConfig


@dataclass(frozen=True)
class FaceQuality:
    """Why a face is or is not worth matching, and a score in [0, 1] to rank samples."""

    width_px: float
    sharpness: float
    yaw: float
    score: float
    usable: bool
    reason: str


def _yaw_from_landmarks(points: npt.NDArray[np.float32], scheme: str = "dlib") -> float:
    """0 for a frontal face, 1 when the nose is under an eye.

    dlib's order: points 0-1 are one eye's corners, 2-3 the other's, 4 the base of the nose.
    InsightFace's (``scheme="insightface"``, SCRFD): 0 and 1 the eyes, 2 the nose tip, 3-4
    the mouth corners. The nose's offset from the eyes' midpoint, along the line between
    the eyes, grows as the head turns.
    """
    if scheme == "insightface":
        eye_a, eye_b, nose = points[0], points[1], points[2]
    elif scheme == "dlib":
        eye_a, eye_b, nose = points[0:2].mean(axis=0), points[2:4].mean(axis=0), points[4]
    else:
        raise ValueError(f"unknown landmark scheme {scheme!r}; expected dlib or insightface")
    axis = eye_a - eye_b
    half = float(np.linalg.norm(axis)) / 2
    if half == 0:
        return 1.0
    offset = float(np.dot(nose - (eye_a + eye_b) / 2, axis / (2 * half)))
    return min(1.0, abs(offset) / half)


def sharpness_of(chip: npt.NDArray[np.uint8]) -> float:
    """Variance of the Laplacian of the chip's grey image (low means blurred)."""
    gray = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


# How the quality score weighs its three terms (they sum to 1).
_SIZE_WEIGHT, _SHARPNESS_WEIGHT, _POSE_WEIGHT = 0.4, 0.3, 0.3


@dataclass(frozen=True)
class FaceGeometry:
    """What a face's box and landmarks alone say of its quality, before any chip is cut.

    ``score_ceiling`` is the highest quality score the face can reach (a perfectly sharp
    chip): a track that keeps only better samples need not cut a chip for one below it.
    """

    width_px: float
    yaw: float
    score_ceiling: float
    usable: bool
    reason: str


def assess_geometry(
    width_px: float,
    landmarks: npt.NDArray[np.float32],
    config: QualityConfig,
    landmark_scheme: str = "dlib",
) -> FaceGeometry:
    """Size and pose from the box and landmarks: cheap, so it runs on every face."""
    yaw = _yaw_from_landmarks(landmarks, landmark_scheme)
    ceiling = _score(width_px, float("inf"), yaw, config)
    if width_px < config.min_face_px:
        reason = f"face is {width_px:.0f} px wide, under {config.min_face_px} px"
        return FaceGeometry(width_px, yaw, ceiling, False, reason)
    if yaw > config.max_yaw:
        reason = f"head turned too far (yaw {yaw:.2f} > {config.max_yaw})"
        return FaceGeometry(width_px, yaw, ceiling, False, reason)
    return FaceGeometry(width_px, yaw, ceiling, True, "ok")


def _score(width_px: float, sharpness: float, yaw: float, config: QualityConfig) -> float:
    size_term = min(1.0, width_px / (3 * config.min_face_px))
    sharp_term = min(1.0, sharpness / (5 * max(config.min_sharpness, 1e-6)))
    pose_term = max(0.0, 1.0 - yaw / config.max_yaw)
    return size_term * _SIZE_WEIGHT + sharp_term * _SHARPNESS_WEIGHT + pose_term * _POSE_WEIGHT


def assess_chip(
    geometry: FaceGeometry, chip: npt.NDArray[np.uint8], config: QualityConfig
) -> FaceQuality:
    """Complete ``geometry`` (from ``assess_geometry``) with the chip's sharpness."""
    width_px, yaw = geometry.width_px, geometry.yaw
    sharpness = sharpness_of(chip)
    score = _score(width_px, sharpness, yaw, config)
    if width_px >= config.min_face_px and sharpness < config.min_sharpness:
        reason = f"face is blurred (sharpness {sharpness:.1f} < {config.min_sharpness})"
        return FaceQuality(width_px, sharpness, yaw, score, False, reason)
    return FaceQuality(width_px, sharpness, yaw, score, geometry.usable, geometry.reason)


def assess_face(
    width_px: float,
    landmarks: npt.NDArray[np.float32],
    chip: npt.NDArray[np.uint8],
    config: QualityConfig,
    landmark_scheme: str = "dlib",
) -> FaceQuality:
    """Score one face; ``usable`` is False (with the reason) when it must never be matched.

    ``chip`` is the aligned chip of any size (dlib's 150 px, ArcFace's 112 px);
    ``landmark_scheme`` names the order of ``landmarks`` (``dlib`` or ``insightface``).
    """
    return assess_chip(assess_geometry(width_px, landmarks, config, landmark_scheme), chip, config)
