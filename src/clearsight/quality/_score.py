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
    sharpness = sharpness_of(chip)
    yaw = _yaw_from_landmarks(landmarks, landmark_scheme)
    size_term = min(1.0, width_px / (3 * config.min_face_px))
    sharp_term = min(1.0, sharpness / (5 * max(config.min_sharpness, 1e-6)))
    pose_term = max(0.0, 1.0 - yaw / config.max_yaw)
    score = size_term * 0.4 + sharp_term * 0.3 + pose_term * 0.3
    if width_px < config.min_face_px:
        return FaceQuality(
            width_px,
            sharpness,
            yaw,
            score,
            False,
            f"face is {width_px:.0f} px wide, under {config.min_face_px} px",
        )
    if sharpness < config.min_sharpness:
        return FaceQuality(
            width_px,
            sharpness,
            yaw,
            score,
            False,
            f"face is blurred (sharpness {sharpness:.1f} < {config.min_sharpness})",
        )
    if yaw > config.max_yaw:
        return FaceQuality(
            width_px,
            sharpness,
            yaw,
            score,
            False,
            f"head turned too far (yaw {yaw:.2f} > {config.max_yaw})",
        )
    return FaceQuality(width_px, sharpness, yaw, score, True, "ok")
