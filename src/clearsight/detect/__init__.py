"""Face detection: a ``FaceDetector`` base with one method, plugins chosen by config ``type``."""

from clearsight.detect._base import FaceDetector
from clearsight.detect._dlib import CnnFaceDetector, HogFaceDetector, locate_landmarks
from clearsight.detect._factory import create_detector

__all__ = [
    "CnnFaceDetector",
    "FaceDetector",
    "HogFaceDetector",
    "create_detector",
    "locate_landmarks",
]
