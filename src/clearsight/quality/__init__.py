"""Face quality: size, sharpness and frontal pose, and the best samples of each track."""

from clearsight.quality._score import (
    FaceGeometry,
    FaceQuality,
    assess_chip,
    assess_face,
    assess_geometry,
    sharpness_of,
)
from clearsight.quality._selection import BestSamples

__all__ = [
    "BestSamples",
    "FaceGeometry",
    "FaceQuality",
    "assess_chip",
    "assess_face",
    "assess_geometry",
    "sharpness_of",
]
