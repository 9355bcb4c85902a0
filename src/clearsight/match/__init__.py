"""Matching: a watchlist gallery, per-track identity decisions and calibration cards."""

from clearsight.match._calibration import CalibrationCard, build_card, load_card
from clearsight.match._decide import decide_track
from clearsight.match._gallery import Gallery

__all__ = ["CalibrationCard", "Gallery", "build_card", "decide_track", "load_card"]
