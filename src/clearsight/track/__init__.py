"""Tracking: stable ids for the same face across frames, so a passer-by is one track."""

from clearsight.track._iou import IouTracker, TrackEvent
from clearsight.types import iou_matrix

__all__ = ["IouTracker", "TrackEvent", "iou_matrix"]
