"""Matching: a watchlist gallery, per-track identity decisions and calibration cards."""

from clearsight.match._calibration import (
    CalibrationCard,
    GroupDistribution,
    build_card,
    load_card,
    model_card,
)
from clearsight.match._decide import decide_track
from clearsight.match._gallery import Gallery, SubjectHits
from clearsight.match._operating_point import (
    GroupRate,
    check_point,
    estimate_fmr,
    group_rates,
    groups_above_target,
    operating_point,
)
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
    "GroupDistribution",
    "GroupRate",
    "IndexSpec",
    "SearchHits",
    "SubjectHits",
    "build_card",
    "check_point",
    "decide_track",
    "default_search",
    "estimate_fmr",
    "group_rates",
    "groups_above_target",
    "load_card",
    "model_card",
    "operating_point",
]
