from __future__ import annotations

from clearsight.config import CnnDetectorConfig, DetectorConfig, ScrfdDetectorConfig
from clearsight.detect._base import FaceDetector
from clearsight.detect._dlib import CnnFaceDetector, HogFaceDetector
from clearsight.errors import ConfigError


def create_detector(config: DetectorConfig) -> FaceDetector:
    """The dlib detector plugin named by ``config.type`` (``scrfd`` is built by backends)."""
    if isinstance(config, ScrfdDetectorConfig):
        raise ConfigError(
            'detector.type "scrfd" runs an ONNX model file: build it with '
            "clearsight.backends.create_detector_from_config"
        )
    if isinstance(config, CnnDetectorConfig):
        return CnnFaceDetector(config)
    return HogFaceDetector(config)
