"""Motion gating: where the scene changed since the last frame, found cheaply on a small image."""

from clearsight.motion._detector import MotionDetector, MotionResult

__all__ = ["MotionDetector", "MotionResult"]
