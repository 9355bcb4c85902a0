"""dlib's HOG face detector: fast on a CPU, frontal faces from about 80 px (40 px with one
upsampling pass)."""

from __future__ import annotations

from typing import ClassVar, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import Field

from clearsight.detect._base import DetectorSettings
from clearsight.detect._dlib import DlibDetector, rects_to_boxes
from clearsight.models import load_hog_detector

__all__ = ["HogDetectorConfig", "HogFaceDetector"]


class HogDetectorConfig(DetectorSettings):
    type: Literal["hog"] = Field(
        "hog", title="Detector type", description="dlib's HOG face detector (fast, on the CPU)."
    )
    upsample: int = Field(
        0,
        ge=0,
        le=3,
        title="Upsampling passes",
        description="Times the frame is doubled before detection; each finds faces half as large "
        "and costs about four times as much. Use only where small faces matter.",
    )
    min_face_size: int = Field(
        40,
        ge=8,
        title="Minimum face size (px)",
        description="Faces narrower than this in the original frame are ignored.",
    )
    max_width: int = Field(
        1280,
        ge=160,
        title="Detection width (px)",
        description="Frames wider than this are downscaled before detection; boxes are mapped "
        "back to the full frame. Lower is faster and misses smaller faces.",
    )

    landmark_scheme: ClassVar[str] = "dlib"
    """The five landmarks this detector gives (dlib's 5-point predictor)."""


class HogFaceDetector(DlibDetector):
    """dlib's HOG + linear SVM detector: about 50 ms on a 720p frame on one core."""

    landmark_scheme = HogDetectorConfig.landmark_scheme

    def __init__(self, config: HogDetectorConfig | None = None) -> None:
        config = config or HogDetectorConfig()
        super().__init__(config.min_face_size, config.max_width, config.upsample)

    def _run(
        self, image: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        rects, scores, _ = load_hog_detector().run(gray, self._upsample, 0.0)
        return rects_to_boxes(rects), np.asarray(scores, np.float32)
