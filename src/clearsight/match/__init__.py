"""Matching: a watchlist gallery, per-track identity decisions and calibration cards."""

from clearsight.match._calibration import CalibrationCard, build_card, load_card, model_card
from clearsight.match._decide import decide_track
from clearsight.match._gallery import Gallery, SubjectHits
from clearsight.match._search import (
    AutoSearch,
    ExactSearch,
    FaissSearch,
    GallerySearch,
    IndexSpec,
    SearchHits,
    default_search,
)

__all__ = [
    "AutoSearch",
    "CalibrationCard",
    "ExactSearch",
    "FaissSearch",
    "Gallery",
    "GallerySearch",
    "IndexSpec",
    "SearchHits",
    "SubjectHits",
    "build_card",
    "decide_track",
    "default_search",
    "load_card",
    "model_card",
]
