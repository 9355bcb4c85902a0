"""Face detection: a ``FaceDetector`` base with one method, plugins chosen by config ``type``."""

from clearsight.detect._base import FaceDetector
from clearsight.detect._dlib import CnnFaceDetector, HogFaceDetector, locate_landmarks
from clearsight.detect._factory import create_detector
from clearsight.detect._regions import detect_in_regions, expand_boxes, non_max_suppression

__all__ = [
    "CnnFaceDetector",
    "FaceDetector",
    "HogFaceDetector",
    "create_detector",
    "detect_in_regions",
    "expand_boxes",
    "locate_landmarks",
    "non_max_suppression",
]
