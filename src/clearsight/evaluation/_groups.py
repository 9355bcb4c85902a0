"""Per-group score distributions for a calibration card, with people-level 95% intervals.

A group's impostor comparisons are all pairs of images of two different people both in the
group. Those pairs are not independent: every image takes part in hundreds of them, and a
face that looks like many others (or a photo that scores high against everyone) raises many
pairs at once. So the interval of a group's false match rate treats the person as the unit:

* the variance of the rate is the leave-one-person-out (delete-one jackknife) variance, which
  for this pairwise statistic (a U-statistic) estimates the same people-driven term the
  subject-level bootstrap does, at the cost of one pass;
* the design effect is that variance over the binomial variance of as many independent pairs
  (at least 1); the interval is the exact Clopper-Pearson interval on the effective number of
  pairs (pairs / design effect), as Korn and Graubard (1998) do for clustered survey data;
* where fewer than ``MIN_EVENTS`` pairs reach a score the variance cannot be estimated, so
  the design effect measured at the highest score that still had that many is carried up;
* the upper bound is made non-increasing in the score (the largest bound at any higher score),
  so a threshold judged on it never depends on noise above it.

Judging "at or under the target" on this upper bound, a group with few people can never pass
at a low target: it is named as too small instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy.stats import beta

from clearsight.evaluation._datasets import ImageSet
from clearsight.evaluation._fairness import group_images
from clearsight.match import GroupDistribution

__all__ = [
    "MIN_EVENTS",
    "GroupRates",
    "every_group_threshold",
    "group_distributions",
    "impostor_counts",
]

MIN_EVENTS = 5
_BLOCK = 512
FloatArray = npt.NDArray[np.float64]


def impostor_counts(
    vectors: npt.NDArray[np.float32], subjects: npt.NDArray[np.int64], grid: FloatArray
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """Per person and grid score, impostor pairs involving them scoring at or above it
    (subjects x grid), pairs per person, and all mated scores."""
    _, dense = np.unique(subjects, return_inverse=True)
    dense = dense.astype(np.int64)
    people = int(dense.max()) + 1 if dense.size else 0
    size = len(grid)
    counts = np.zeros((people, size), np.int64)
    mated: list[FloatArray] = []
    for start in range(0, len(vectors), _BLOCK):
        stop = min(start + _BLOCK, len(vectors))
        scores = vectors[start:stop] @ vectors.T
        same = dense[start:stop, None] == dense[None, :]
        upper = np.arange(len(vectors))[None, :] > np.arange(start, stop)[:, None]
        mated.append(scores[same & upper].astype(np.float64))
        # Grid cell of each score: the highest grid score at or below it (-1 below the grid).
        cell = np.searchsorted(grid, scores, side="right") - 1
        cell[same] = -1
        rows = np.arange(stop - start)[:, None] * (size + 1)
        binned = np.bincount((rows + cell + 1).ravel(), minlength=(stop - start) * (size + 1))
        per_row = binned.reshape(stop - start, size + 1)[:, 1:]
        at_or_above = np.cumsum(per_row[:, ::-1], axis=1)[:, ::-1]
        np.add.at(counts, dense[start:stop], at_or_above)
    images = np.bincount(dense, minlength=people).astype(np.int64)
    pairs = images * (len(vectors) - images)
    return counts, pairs, np.concatenate(mated) if mated else np.zeros(0)


class GroupRates:
    """A group's false match rate and 95% interval at each grid score."""

    def __init__(self, counts: npt.NDArray[np.int64], pairs: npt.NDArray[np.int64]) -> None:
        people = counts.shape[0]
        total_pairs = float(pairs.sum()) / 2.0  # each pair is counted from both people
        accepted = counts.sum(axis=0).astype(np.float64) / 2.0
        self.people = people
        self.pairs = int(round(total_pairs))
        self.accepted = np.rint(accepted).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = accepted / total_pairs if total_pairs else np.full_like(accepted, np.nan)
            # Leave one person out: their pairs leave the numerator and the denominator.
            left = (accepted[None, :] - counts) / (total_pairs - pairs[:, None].astype(float))
            variance = (people - 1) / people * np.sum((left - left.mean(axis=0)) ** 2, axis=0)
            binomial = rate * (1.0 - rate) / total_pairs
            design = np.where(binomial > 0, variance / binomial, 1.0)
        design = np.maximum(np.nan_to_num(design, nan=1.0), 1.0)
        carried = 1.0
        for index in range(len(design)):
            if accepted[index] >= MIN_EVENTS:
                carried = float(design[index])
            else:
                design[index] = max(carried, 1.0)
        self.rate = rate
        self.design_effect = design
        effective = total_pairs / design
        events = accepted / design
        self.low = np.where(events > 0, beta.ppf(0.025, events, effective - events + 1), 0.0)
        high = np.where(
            events < effective,
            beta.ppf(0.975, events + 1, np.maximum(effective - events, 1e-9)),
            1.0,
        )
        # Never rising with the score: the largest bound at this score or any higher one.
        self.high = np.maximum.accumulate(np.nan_to_num(high, nan=1.0)[::-1])[::-1]


def _rounded(value: float, direction: Callable[[float], int]) -> float:
    """``value`` to 4 significant digits, rounded in ``direction`` (bounds stay bounds)."""
    if not value > 0:
        return 0.0
    scale = 10.0 ** (math.floor(math.log10(value)) - 3)
    return min(1.0, float(f"{direction(value / scale) * scale:.4g}"))


def _cap(
    subjects: npt.NDArray[np.int64], rows: npt.NDArray[np.int64], cap: int, seed: int
) -> npt.NDArray[np.int64]:
    rng = np.random.default_rng(seed)
    chosen = []
    for subject in np.unique(subjects[rows]):
        own = rows[subjects[rows] == subject]
        if own.size > cap:
            own = np.sort(rng.choice(own, cap, replace=False))
        chosen.append(own)
    return np.concatenate(chosen) if chosen else np.zeros(0, np.int64)


def group_distributions(
    images: ImageSet,
    vectors: npt.NDArray[np.float32],
    attribute: str,
    dataset: str,
    grid: FloatArray,
    max_images_per_subject: int,
    seed: int,
) -> tuple[list[GroupDistribution], str]:
    """One distribution per group of ``attribute`` (a column, or columns joined by ``+``),
    from the images with a template, at most ``max_images_per_subject`` per person."""
    masks, handling = group_images(images, attribute, "separate")
    usable = ~np.isnan(vectors).any(axis=1)
    _, subject_ids = np.unique(np.asarray(images.subjects), return_inverse=True)
    subject_ids = subject_ids.astype(np.int64)
    found = []
    for index, (name, mask) in enumerate(masks.items()):
        rows = _cap(
            subject_ids, np.flatnonzero(mask & usable), max_images_per_subject, seed + index
        )
        if rows.size < 2:
            continue
        group_vectors = np.ascontiguousarray(vectors[rows])
        counts, pairs, mated = impostor_counts(group_vectors, subject_ids[rows], grid)
        rates = GroupRates(counts, pairs)
        if rates.pairs == 0:  # one person: nothing to say about false matches
            continue
        mated_sorted = np.sort(mated)
        fnmr = (
            [float(v) for v in np.searchsorted(mated_sorted, grid, side="left") / mated.size]
            if mated.size
            else None
        )
        found.append(
            GroupDistribution(
                dataset=dataset,
                attribute=attribute,
                group=name,
                subjects=rates.people,
                images=int(rows.size),
                impostor_comparisons=rates.pairs,
                mated_comparisons=int(mated.size),
                impostor_at_or_above=[int(v) for v in rates.accepted],
                fmr_low=[_rounded(v, math.floor) for v in rates.low],
                fmr_high=[_rounded(v, math.ceil) for v in rates.high],
                fnmr=None if fnmr is None else [round(v, 6) for v in fnmr],
            )
        )
    return found, handling


def every_group_threshold(
    images: ImageSet,
    vectors: npt.NDArray[np.float32],
    attribute: str,
    target_fmr: float,
    min_subjects: int,
    max_images_per_subject: int,
    seed: int,
) -> tuple[float, tuple[str, ...]]:
    """The every-group rule on this data alone: the lowest score (0.001 steps) at which every
    group of ``attribute`` with at least ``min_subjects`` people, whose upper bound can reach
    ``target_fmr`` at all, has the upper end of its 95% interval at or under it; and the
    groups too small to judge."""
    grid = np.round(np.arange(0.0, 1.0005, 0.001), 6)
    groups, _ = group_distributions(
        images, vectors, attribute, "", grid, max_images_per_subject, seed
    )
    judged = [g for g in groups if g.subjects >= min_subjects and min(g.fmr_high) <= target_fmr]
    small = tuple(g.group for g in groups if g not in judged)
    for index, score in enumerate(grid):
        if judged and all(g.fmr_high[index] <= target_fmr for g in judged):
            return float(score), small
    return float("nan"), small
