from __future__ import annotations

from clearsight.config import (
    ClearsightConfig,
    CnnDetectorConfig,
    DetectorConfig,
    HogDetectorConfig,
    ScrfdDetectorConfig,
)
from clearsight.detect._base import FaceDetector
from clearsight.detect._dlib import CnnFaceDetector, HogFaceDetector
from clearsight.detect._yunet import YunetFaceDetector
from clearsight.errors import ConfigError


def create_detector(config: DetectorConfig | None = None) -> FaceDetector:
    """The detector plugin named by ``config.type`` (default YuNet; ``scrfd`` is built by
    backends, from a file the user supplies)."""
    config = config if config is not None else ClearsightConfig().detector
    if isinstance(config, ScrfdDetectorConfig):
        raise ConfigError(
            'detector.type "scrfd" runs an ONNX model file: build it with '
            "clearsight.backends.create_detector_from_config"
        )
    if isinstance(config, CnnDetectorConfig):
        return CnnFaceDetector(config)
    if isinstance(config, HogDetectorConfig):
        return HogFaceDetector(config)
    return YunetFaceDetector(config)
