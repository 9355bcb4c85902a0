"""The operating point: one threshold, set once from the model's card and the match config.

Under the default ``every-group`` rule the threshold is the lowest score at which every
group the card can judge (enough people and pairs) keeps the upper end of its 95% false
match rate interval at or under the target: the group the model fails most sets it (and a
stricter target never gets a lower threshold than a looser one, though fewer groups can show
the stricter rate). The ``pooled`` rule reads the threshold from all impostor comparisons together, as if everyone
were matched alike; it is kept for comparison and says which groups it leaves above target.

No one's sex or race is inferred at run time: the estimate for a match is the rate of the
group the model confuses most at that score, whoever the person is.
"""

from __future__ import annotations

from dataclasses import dataclass

from clearsight.config import MatchConfig
from clearsight.errors import ConfigError
from clearsight.match._calibration import CalibrationCard, GroupDistribution
from clearsight.types import FmrEstimate, OperatingPoint

__all__ = [
    "GroupRate",
    "check_point",
    "estimate_fmr",
    "group_rates",
    "groups_above_target",
    "operating_point",
]

EVERY_GROUP = "every-group"
POOLED = "pooled"


def operating_point(card: CalibrationCard, config: MatchConfig) -> OperatingPoint:
    """The one operating point for ``card`` under ``config`` (its target and rule)."""
    target = config.target_fmr
    judged = [g for g in card.groups if card.can_judge(g, target)]
    too_small = tuple(g.name for g in card.groups if not card.can_judge(g, target))
    if config.rule == EVERY_GROUP:
        if not judged:
            raise ConfigError(
                f"the calibration card of {card.model_id} (v{card.version}) has no group with "
                f"enough data to judge FMR {target:g}; rebuild it with `clearsight calibrate "
                '--manifest`, or set match.rule = "pooled" knowing it ignores who is matched'
            )
        threshold = card.lowest_threshold_for_groups(judged, target)
        # A stricter target never gets a lower threshold than a looser one: groups that can
        # show 10x (100x, ...) the target but not the target itself still hold at those.
        looser = target * 10
        while looser < 1.0:
            able = [g for g in card.groups if card.can_judge(g, looser)]
            if able:
                threshold = max(threshold, card.lowest_threshold_for_groups(able, looser))
            looser *= 10
    else:
        threshold = card.threshold_for_fmr(target)
    return OperatingPoint(
        model_id=card.model_id,
        card_version=card.version,
        target_fmr=target,
        rule=config.rule,
        threshold=float(threshold),
        groups=tuple(g.name for g in judged),
        groups_too_small=too_small,
    )


def check_point(card: CalibrationCard, point: OperatingPoint) -> None:
    """Refuse a point set on another model's or another version's card."""
    if (point.model_id, point.card_version) != (card.model_id, card.version):
        raise ConfigError(
            f"the operating point was set on {point.model_id} card v{point.card_version}, "
            f"the card is {card.model_id} v{card.version}"
        )


def _judged(card: CalibrationCard, point: OperatingPoint) -> list[GroupDistribution]:
    names = set(point.groups)
    return [g for g in card.groups if g.name in names]


def estimate_fmr(card: CalibrationCard, point: OperatingPoint, score: float) -> FmrEstimate:
    """The false match rate at ``score`` of the judged group the model confuses most there
    (highest rate, then highest upper bound), with its 95% interval, beside the pooled rate.
    Without judged groups the pooled rate stands alone (interval equal to it)."""
    pooled = card.fmr_at(score)
    groups = _judged(card, point)
    if not groups:
        return FmrEstimate(pooled, pooled, pooled, "", pooled)
    index = card.grid_index(score)
    worst = max(groups, key=lambda g: (g.fmr(index), g.fmr_high[index]))
    return FmrEstimate(
        fmr=worst.fmr(index),
        low=worst.fmr_low[index],
        high=worst.fmr_high[index],
        group=worst.name,
        pooled_fmr=pooled,
    )


@dataclass(frozen=True)
class GroupRate:
    """One group's rates at the operating point."""

    name: str
    dataset: str
    attribute: str
    group: str
    subjects: int
    impostor_comparisons: int
    fmr: float
    fmr_low: float
    fmr_high: float
    fnmr: float | None
    mated_comparisons: int
    judged: bool


def group_rates(card: CalibrationCard, point: OperatingPoint) -> list[GroupRate]:
    """Every group's false match rate (with interval) and false non-match rate at the point."""
    index = card.grid_index(point.threshold)
    judged = set(point.groups)
    return [
        GroupRate(
            name=g.name,
            dataset=g.dataset,
            attribute=g.attribute,
            group=g.group,
            subjects=g.subjects,
            impostor_comparisons=g.impostor_comparisons,
            fmr=g.fmr(index),
            fmr_low=g.fmr_low[index],
            fmr_high=g.fmr_high[index],
            fnmr=None if g.fnmr is None else g.fnmr[index],
            mated_comparisons=g.mated_comparisons,
            judged=g.name in judged,
        )
        for g in card.groups
    ]


def groups_above_target(card: CalibrationCard, point: OperatingPoint) -> list[GroupRate]:
    """Judged groups whose 95% upper bound at the point is above the target, worst first
    (empty under the every-group rule, by construction)."""
    above = [r for r in group_rates(card, point) if r.judged and r.fmr_high > point.target_fmr]
    return sorted(above, key=lambda r: -r.fmr)
