"""An alert's estimated false match rate in words, for the alert page and its JSON."""

from __future__ import annotations

from clearsight.store import AlertRecord

__all__ = ["describe_estimate", "describe_point"]


def _one_in(rate: float) -> str:
    if rate <= 0:
        return "none"
    if rate >= 1:
        return "every"
    return f"1 in {1 / rate:,.0f}" if rate < 0.01 else f"1 in {1 / rate:,.1f}"


def describe_estimate(record: AlertRecord) -> str:
    """What the alert's estimated false match rate means, or why it is not known."""
    if record.estimated_fmr_group is None:
        return (
            f"About {_one_in(record.estimated_fmr)} comparisons with a stranger would score as "
            "high, pooled over everyone the card measured (this alert predates per-group "
            "estimates; the model is known to confuse some groups far more often)."
        )
    pooled = (
        ""
        if record.pooled_fmr is None
        else (
            f" Pooled over everyone the card measured it would be {_one_in(record.pooled_fmr)},"
            " which understates the risk for the groups the model confuses most."
        )
    )
    if not record.estimated_fmr_group:
        return f"About {_one_in(record.estimated_fmr)} comparisons with a stranger would score as high (no per-group data on the card).{pooled}"
    if record.estimated_fmr <= 0:
        bound = record.estimated_fmr_high or 0.0
        return (
            "At this score no comparison of strangers of the group the model confuses most "
            f"({record.estimated_fmr_group}) scored as high; the rate is below about "
            f"{_one_in(bound)} (upper end of the 95% interval).{pooled}"
        )
    low, high = record.estimated_fmr_low or 0.0, record.estimated_fmr_high or 1.0
    return (
        f"At this score, about {_one_in(record.estimated_fmr)} comparisons with a stranger of "
        f"the group the model confuses most ({record.estimated_fmr_group}) would score as high "
        f"(95% interval {_one_in(high)} to {_one_in(low)}).{pooled} A watchlist of N people "
        "multiplies this by about N for every face the camera sees."
    )


def describe_point(record: AlertRecord) -> str:
    """The operating point the alert was decided under, in one line."""
    if record.threshold is None:
        return "not recorded (alert stored before operating points were recorded)"
    return (
        f"threshold {record.threshold:.4f}, rule {record.threshold_rule}, target false match "
        f"rate {record.target_fmr:g} per comparison, model {record.model_id} card "
        f"v{record.card_version}"
    )
