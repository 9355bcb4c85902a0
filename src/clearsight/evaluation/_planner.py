"""Operating-point planner: what a target false match rate means for a watchlist in daily use.

Every face scanned is compared with every watchlist entry. With a per-comparison false match
rate FMR and N entries, the chance that a passer-by who is on no list raises an alert (the
false positive identification rate) is about FPIR = 1 - (1 - FMR)^N, so false alerts per day
are about faces_per_day x FPIR. The miss rate is the card's false non-match rate at the
threshold (for a listed person whose photo matches as well as LFW's photos do).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from clearsight.match import CalibrationCard, check_point, group_rates, groups_above_target
from clearsight.types import OperatingPoint

__all__ = [
    "GroupPlan",
    "OperatingPlan",
    "fpir_for_watchlist",
    "plan_operating_point",
    "required_fmr",
]


def fpir_for_watchlist(fmr: float, watchlist_size: int) -> float:
    """1 - (1 - fmr)^N, computed stably for tiny rates."""
    if not 0.0 <= fmr <= 1.0:
        raise ValueError("fmr must lie in [0, 1]")
    if watchlist_size < 0:
        raise ValueError("watchlist_size must not be negative")
    if fmr == 1.0:
        return 1.0 if watchlist_size else 0.0
    return -math.expm1(watchlist_size * math.log1p(-fmr))


def required_fmr(false_alerts_per_day: float, faces_per_day: float, watchlist_size: int) -> float:
    """The per-comparison FMR that keeps false alerts at ``false_alerts_per_day`` (inverse)."""
    fpir = min(1.0, false_alerts_per_day / faces_per_day)
    if fpir >= 1.0:
        return 1.0
    return -math.expm1(math.log1p(-fpir) / watchlist_size)


@dataclass(frozen=True)
class GroupPlan:
    """What the operating point means for one group: false alerts per day if every face seen
    were of this group (point estimate and 95% upper bound) and its miss rate on LFW."""

    name: str
    judged: bool
    fmr: float
    fmr_high: float
    false_alerts_per_day: float
    false_alerts_per_day_high: float
    fnmr: float | None

    def summary(self) -> dict[str, object]:
        return {
            "judged": self.judged,
            "fmr": self.fmr,
            "fmr_high": self.fmr_high,
            "false_alerts_per_day": self.false_alerts_per_day,
            "false_alerts_per_day_high": self.false_alerts_per_day_high,
            "fnmr": self.fnmr,
        }


@dataclass(frozen=True)
class OperatingPlan:
    watchlist_size: int
    faces_per_day: float
    point: OperatingPoint
    estimated_fmr: float
    fpir: float
    false_alerts_per_day: float
    miss_rate: float
    beyond_measured: bool
    groups: tuple[GroupPlan, ...]
    above_target: tuple[GroupPlan, ...]
    """Judged groups whose upper bound is above the target (only under the pooled rule)."""

    @property
    def threshold(self) -> float:
        return self.point.threshold

    @property
    def target_fmr(self) -> float:
        return self.point.target_fmr

    def warning(self) -> str:
        """Words for the pooled rule: which groups it leaves above target and by how much."""
        if not self.above_target:
            return ""
        worst = ", ".join(
            f"{g.name} {g.fmr:.1e} ({g.fmr / self.target_fmr:,.1f}x target)"
            for g in self.above_target
        )
        return (
            f"The pooled rule leaves {len(self.above_target)} group(s) above the target FMR "
            f'{self.target_fmr:g}: {worst}. Use match.rule = "every-group" (the default).'
        )

    def summary(self) -> dict[str, object]:
        return {
            "watchlist_size": self.watchlist_size,
            "faces_per_day": self.faces_per_day,
            "operating_point": asdict(self.point),
            "target_fmr": self.target_fmr,
            "threshold": self.threshold,
            "estimated_fmr_at_threshold": self.estimated_fmr,
            "fpir": self.fpir,
            "false_alerts_per_day": self.false_alerts_per_day,
            "expected_miss_rate": self.miss_rate,
            "beyond_measured": self.beyond_measured,
            "groups": {g.name: g.summary() for g in self.groups},
            "warning": self.warning(),
        }


def plan_operating_point(
    card: CalibrationCard, point: OperatingPoint, watchlist_size: int, faces_per_day: float
) -> OperatingPlan:
    """False alerts per day (pooled and per group) and miss rates at ``point``."""
    if watchlist_size < 1:
        raise ValueError("watchlist size must be at least 1")
    if faces_per_day <= 0:
        raise ValueError("faces per day must be positive")
    check_point(card, point)
    threshold = point.threshold
    beyond = point.target_fmr < card.min_fmr
    # The card's rate at the chosen threshold; below what the data resolves, the target itself
    # is assumed (and flagged), since the card cannot show it.
    estimated = point.target_fmr if beyond else card.fmr_at(threshold)
    fpir = fpir_for_watchlist(estimated, watchlist_size)
    groups = tuple(
        GroupPlan(
            name=r.name,
            judged=r.judged,
            fmr=r.fmr,
            fmr_high=r.fmr_high,
            false_alerts_per_day=faces_per_day * fpir_for_watchlist(r.fmr, watchlist_size),
            false_alerts_per_day_high=faces_per_day
            * fpir_for_watchlist(r.fmr_high, watchlist_size),
            fnmr=r.fnmr,
        )
        for r in group_rates(card, point)
        if r.impostor_comparisons > 0
    )
    above = {r.name for r in groups_above_target(card, point)}
    return OperatingPlan(
        watchlist_size=watchlist_size,
        faces_per_day=faces_per_day,
        point=point,
        estimated_fmr=estimated,
        fpir=fpir,
        false_alerts_per_day=faces_per_day * fpir,
        miss_rate=card.fnmr_at(threshold),
        beyond_measured=beyond,
        groups=groups,
        above_target=tuple(sorted((g for g in groups if g.name in above), key=lambda g: -g.fmr)),
    )
