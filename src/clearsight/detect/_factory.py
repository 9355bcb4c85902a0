from __future__ import annotations

from clearsight.config import CnnDetectorConfig, DetectorConfig
from clearsight.detect._base import FaceDetector
from clearsight.detect._dlib import CnnFaceDetector, HogFaceDetector


def create_detector(config: DetectorConfig) -> FaceDetector:
    """The detector plugin named by ``config.type``."""
    if isinstance(config, CnnDetectorConfig):
        return CnnFaceDetector(config)
    return HogFaceDetector(config)
