"""The detectors a config's ``[detector] type`` can name, and the factory that builds them.

Each detector is one module holding its settings class and its implementation; this list is
where it is registered (first of a landmark scheme first: error messages suggest it). The
config union ``clearsight.config`` validates against is read from ``DETECTORS`` too.
"""

from __future__ import annotations

from clearsight.detect._base import DetectorSettings, FaceDetector
from clearsight.detect._cnn import CnnDetectorConfig, CnnFaceDetector
from clearsight.detect._hog import HogDetectorConfig, HogFaceDetector
from clearsight.detect._retinaface import RetinafaceDetector, RetinafaceDetectorConfig
from clearsight.detect._scrfd import ScrfdDetector, ScrfdDetectorConfig
from clearsight.detect._yunet import YunetDetectorConfig, YunetFaceDetector
from clearsight.plugins import PluginRegistry

__all__ = ["DETECTORS", "create_detector", "create_enrollment_detector"]

DETECTORS: PluginRegistry[DetectorSettings, FaceDetector] = PluginRegistry(
    "detector", default="yunet"
)
DETECTORS.register(YunetDetectorConfig, YunetFaceDetector)
DETECTORS.register(HogDetectorConfig, HogFaceDetector)
DETECTORS.register(CnnDetectorConfig, CnnFaceDetector)
DETECTORS.register(ScrfdDetectorConfig, ScrfdDetector)
DETECTORS.register(RetinafaceDetectorConfig, RetinafaceDetector)


def create_detector(config: DetectorSettings | None = None) -> FaceDetector:
    """The detector ``config.type`` names (default: YuNet); models load on first use."""
    return DETECTORS.create(config if config is not None else DETECTORS.default_settings())


def create_enrollment_detector(config: DetectorSettings) -> FaceDetector | None:
    """The detector for reference photos under ``config``: the configured one where its
    plugin says so (a model the user supplied), else None, which leaves enrolment to its
    own detector for the embedder's landmark scheme (``enrollment.reference_detector``)."""
    return create_detector(config) if config.searches_reference_photos else None
