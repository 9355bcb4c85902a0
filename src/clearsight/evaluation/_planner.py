"""Operating-point planner: what a target false match rate means for a watchlist in daily use.

Every face scanned is compared with every watchlist entry. With a per-comparison false match
rate FMR and N entries, the chance that a passer-by who is on no list raises an alert (the
false positive identification rate) is about FPIR = 1 - (1 - FMR)^N, so false alerts per day
are about faces_per_day x FPIR. The miss rate is the card's false non-match rate at the
threshold (for a listed person whose photo matches as well as LFW's photos do).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from clearsight.match import CalibrationCard

__all__ = ["OperatingPlan", "fpir_for_watchlist", "plan_operating_point", "required_fmr"]


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
class OperatingPlan:
    watchlist_size: int
    faces_per_day: float
    target_fmr: float
    threshold: float
    estimated_fmr: float
    fpir: float
    false_alerts_per_day: float
    miss_rate: float
    beyond_measured: bool
    card_version: str
    worst_group_threshold: float | None

    def summary(self) -> dict[str, object]:
        return {
            "watchlist_size": self.watchlist_size,
            "faces_per_day": self.faces_per_day,
            "target_fmr": self.target_fmr,
            "threshold": self.threshold,
            "estimated_fmr_at_threshold": self.estimated_fmr,
            "fpir": self.fpir,
            "false_alerts_per_day": self.false_alerts_per_day,
            "expected_miss_rate": self.miss_rate,
            "beyond_measured": self.beyond_measured,
            "card_version": self.card_version,
            "worst_group_threshold": self.worst_group_threshold,
        }


def plan_operating_point(
    card: CalibrationCard, watchlist_size: int, faces_per_day: float, target_fmr: float
) -> OperatingPlan:
    """False alerts per day and miss rate at the card's threshold for ``target_fmr``."""
    if watchlist_size < 1:
        raise ValueError("watchlist size must be at least 1")
    if faces_per_day <= 0:
        raise ValueError("faces per day must be positive")
    if not 0.0 < target_fmr < 1.0:
        raise ValueError("target FMR must lie strictly between 0 and 1")
    threshold = card.threshold_for_fmr(target_fmr)
    beyond = target_fmr < card.min_fmr
    # The card's rate at the chosen threshold; below what the data resolves, the target itself
    # is assumed (and flagged), since the card cannot show it.
    estimated = target_fmr if beyond else card.fmr_at(threshold)
    fpir = fpir_for_watchlist(estimated, watchlist_size)
    worst = card.threshold_for_fmr_all_groups(target_fmr)
    return OperatingPlan(
        watchlist_size=watchlist_size,
        faces_per_day=faces_per_day,
        target_fmr=target_fmr,
        threshold=threshold,
        estimated_fmr=estimated,
        fpir=fpir,
        false_alerts_per_day=faces_per_day * fpir,
        miss_rate=card.fnmr_at(threshold),
        beyond_measured=beyond,
        card_version=card.version,
        worst_group_threshold=worst if worst > threshold else None,
    )
