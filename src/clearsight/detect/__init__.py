"""Face detection: a ``FaceDetector`` base with one method, plugins chosen by config ``type``
(YuNet by default; dlib's HOG and CNN)."""

from clearsight.detect._base import FaceDetector
from clearsight.detect._dlib import CnnFaceDetector, HogFaceDetector, locate_landmarks
from clearsight.detect._factory import create_detector
from clearsight.detect._regions import detect_in_regions, expand_boxes, non_max_suppression
from clearsight.detect._yunet import YunetFaceDetector

__all__ = [
    "CnnFaceDetector",
    "FaceDetector",
    "HogFaceDetector",
    "YunetFaceDetector",
    "create_detector",
    "detect_in_regions",
    "expand_boxes",
    "locate_landmarks",
    "non_max_suppression",
]
