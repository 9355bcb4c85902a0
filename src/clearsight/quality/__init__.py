"""Face quality: size, sharpness and frontal pose, and the best samples of each track."""

from clearsight.quality._score import FaceQuality, assess_face
from clearsight.quality._selection import BestSamples

__all__ = ["BestSamples", "FaceQuality", "assess_face"]
