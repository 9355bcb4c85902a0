"""An operating point and an estimate for alerts made by hand in tests."""

from __future__ import annotations

from clearsight.types import FmrEstimate, OperatingPoint

POINT = OperatingPoint(
    model_id="dlib-resnet-v1",
    card_version="test",
    target_fmr=1e-4,
    rule="every-group",
    threshold=0.9,
    groups=("female/asian (test)",),
)
ESTIMATE = FmrEstimate(fmr=1e-4, low=5e-5, high=2e-4, group="female/asian (test)", pooled_fmr=1e-6)

CLUSTER_FIELDS: dict[str, object] = {
    "estimated_fmr_low": ESTIMATE.low,
    "estimated_fmr_high": ESTIMATE.high,
    "estimated_fmr_group": ESTIMATE.group,
    "pooled_fmr": ESTIMATE.pooled_fmr,
    "threshold": POINT.threshold,
    "threshold_rule": POINT.rule,
    "target_fmr": POINT.target_fmr,
    "card_version": POINT.card_version,
}
"""The operating-point fields of a ``ClusterAlert`` (``model_id`` is set by each test)."""

API_FIELDS: dict[str, object] = {
    "estimated_fmr_low": ESTIMATE.low,
    "estimated_fmr_high": ESTIMATE.high,
    "estimated_fmr_group": ESTIMATE.group,
    "pooled_fmr": ESTIMATE.pooled_fmr,
    "operating_point": {
        "model_id": POINT.model_id,
        "card_version": POINT.card_version,
        "target_fmr": POINT.target_fmr,
        "rule": POINT.rule,
        "threshold": POINT.threshold,
    },
}
"""The operating-point fields of a ``POST /api/alerts`` body."""
