"""A detector plugin kept outside clearsight, as a third party would write one: one module
holding its settings class and its implementation, registered with ``DETECTORS``.

It "finds" one face at the box its settings name, with InsightFace-order landmarks placed
inside the box, so a test can tell that it, and nothing else, did the detecting.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from clearsight.detect import DETECTORS, DetectorSettings, FaceDetector
from clearsight.types import FaceDetections


class FixedBoxDetectorConfig(DetectorSettings):
    type: Literal["fixed-box"] = Field(
        "fixed-box", title="Detector type", description="One face, always at `box`."
    )
    box: tuple[float, float, float, float] = Field(
        title="Box (x1, y1, x2, y2)", description="Where the one face is reported."
    )

    landmark_scheme: ClassVar[str] = "insightface"


class FixedBoxDetector(FaceDetector):
    landmark_scheme = FixedBoxDetectorConfig.landmark_scheme

    def __init__(self, config: FixedBoxDetectorConfig) -> None:
        self.config = config

    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        x1, y1, x2, y2 = self.config.box
        width, height = x2 - x1, y2 - y1
        # Eyes, nose tip, mouth corners at ArcFace's proportions of a 112 px chip.
        share = np.array([[0.34, 0.46], [0.66, 0.46], [0.5, 0.64], [0.37, 0.82], [0.63, 0.82]])
        points = np.array([x1, y1]) + share * np.array([width, height])
        return FaceDetections(
            boxes=np.array([self.config.box], np.float32),
            scores=np.ones(1, np.float32),
            landmarks=points[None].astype(np.float32),
        )


DETECTORS.register(FixedBoxDetectorConfig, FixedBoxDetector)
