"""Face detection: a ``FaceDetector`` base with one method, and plugins chosen by the config's
``[detector] type`` through ``DETECTORS`` (YuNet by default; dlib's HOG and CNN; an
SCRFD- or RetinaFace-format ONNX file the user supplies). Each plugin is one module holding its settings
class and its implementation."""

from clearsight.detect._base import DetectorSettings, FaceDetector
from clearsight.detect._cnn import CnnDetectorConfig, CnnFaceDetector
from clearsight.detect._dlib import locate_landmarks
from clearsight.detect._hog import HogDetectorConfig, HogFaceDetector
from clearsight.detect._regions import detect_in_regions, expand_boxes, non_max_suppression
from clearsight.detect._registry import DETECTORS, create_detector, create_enrollment_detector
from clearsight.detect._retinaface import (
    RetinafaceDetector,
    RetinafaceDetectorConfig,
    decode_retinaface,
    retinaface_priors,
)
from clearsight.detect._scrfd import ScrfdDetector, ScrfdDetectorConfig, anchor_centres, letterbox
from clearsight.detect._yunet import YunetDetectorConfig, YunetFaceDetector

__all__ = [
    "DETECTORS",
    "CnnDetectorConfig",
    "CnnFaceDetector",
    "DetectorSettings",
    "FaceDetector",
    "HogDetectorConfig",
    "HogFaceDetector",
    "RetinafaceDetector",
    "RetinafaceDetectorConfig",
    "ScrfdDetector",
    "ScrfdDetectorConfig",
    "YunetDetectorConfig",
    "YunetFaceDetector",
    "anchor_centres",
    "create_detector",
    "create_enrollment_detector",
    "decode_retinaface",
    "detect_in_regions",
    "expand_boxes",
    "letterbox",
    "locate_landmarks",
    "non_max_suppression",
    "retinaface_priors",
]
