"""Values passed between pipeline stages: frozen dataclasses and validated array containers."""

from clearsight.types._arrays import frozen_array
from clearsight.types._detections import FaceDetections, concat_detections
from clearsight.types._frame import Frame
from clearsight.types._geometry import iou_matrix
from clearsight.types._values import (
    Alert,
    Candidate,
    Embedding,
    FaceSample,
    FmrEstimate,
    OperatingPoint,
    TrackDecision,
)

__all__ = [
    "Alert",
    "Candidate",
    "Embedding",
    "FaceDetections",
    "FaceSample",
    "FmrEstimate",
    "Frame",
    "OperatingPoint",
    "TrackDecision",
    "concat_detections",
    "frozen_array",
    "iou_matrix",
]
