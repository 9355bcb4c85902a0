"""Group distributions for made-up calibration cards in tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import beta

from clearsight.match import GroupDistribution


def group_on_grid(
    name: str, scores: np.ndarray, people: int
) -> Callable[[list[float]], GroupDistribution]:
    """A group's distribution on a card grid, with exact binomial bounds (a test stand-in for
    the people-level intervals ``clearsight calibrate`` computes)."""

    def make(grid: list[float]) -> GroupDistribution:
        ordered = np.sort(scores)
        above = len(ordered) - np.searchsorted(ordered, grid, side="left")
        n = len(ordered)
        low = [float(beta.ppf(0.025, k, n - k + 1)) if k else 0.0 for k in above]
        high = [float(beta.ppf(0.975, k + 1, n - k)) if k < n else 1.0 for k in above]
        return GroupDistribution(
            dataset="synthetic",
            attribute="kind",
            group=name,
            subjects=people,
            images=people,
            impostor_comparisons=n,
            mated_comparisons=0,
            impostor_at_or_above=[int(k) for k in above],
            fmr_low=low,
            fmr_high=list(np.maximum.accumulate(np.asarray(high)[::-1])[::-1]),
        )

    return make


def groups_of(
    *groups: tuple[str, np.ndarray, int],
) -> Callable[[list[float]], list[GroupDistribution]]:
    """For ``build_card(groups=...)``: each (name, impostor scores, people) on the grid."""

    def make(grid: list[float]) -> list[GroupDistribution]:
        return [group_on_grid(name, scores, people)(grid) for name, scores, people in groups]

    return make
