"""dlib's CNN (MMOD) face detector: finds turned and small faces HOG misses, slowly on a CPU."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from clearsight.detect._base import DetectorSettings
from clearsight.detect._dlib import DlibDetector, rects_to_boxes
from clearsight.models import load_cnn_detector

__all__ = ["CnnDetectorConfig", "CnnFaceDetector"]


class CnnDetectorConfig(DetectorSettings):
    type: Literal["cnn"] = Field(
        "cnn", title="Detector type", description="dlib's CNN (MMOD) detector: more robust, slow."
    )
    upsample: int = Field(
        0, ge=0, le=3, title="Upsampling passes", description="As for the HOG detector."
    )
    min_face_size: int = Field(
        40, ge=8, title="Minimum face size (px)", description="Smaller faces are ignored."
    )
    max_width: int = Field(
        960,
        ge=160,
        title="Detection width (px)",
        description="Frames wider than this are downscaled before detection.",
    )
    min_confidence: float = Field(
        0.0, title="Minimum confidence", description="Detections scored lower are dropped."
    )

    landmark_scheme: ClassVar[str] = "dlib"
    """The five landmarks this detector gives (dlib's 5-point predictor)."""


class CnnFaceDetector(DlibDetector):
    """dlib's MMOD CNN detector: finds turned and small faces HOG misses, far slower on a CPU."""

    landmark_scheme = CnnDetectorConfig.landmark_scheme

    def __init__(self, config: CnnDetectorConfig | None = None) -> None:
        config = config or CnnDetectorConfig()
        super().__init__(config.min_face_size, config.max_width, config.upsample)
        self._min_confidence = config.min_confidence

    def _run(
        self, image: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        found = load_cnn_detector()(image, self._upsample)
        kept = [d for d in found if d.confidence >= self._min_confidence]
        boxes = rects_to_boxes([d.rect for d in kept])
        return boxes, np.array([d.confidence for d in kept], np.float32)
