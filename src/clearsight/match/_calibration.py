"""Calibration cards: how often a score is reached by different people (false match rate).

A card is a versioned JSON file shipped in the package, one per model. It holds a grid of
score thresholds with the false match rate (share of impostor comparisons scoring at or
above the threshold) and the false non-match rate (share of mated comparisons below it),
measured on named data. The pipeline's threshold is a target false match rate, read
through the card, and every match reports the card's estimate for its score.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from clearsight.errors import ConfigError

__all__ = ["CalibrationCard", "GroupDistribution", "build_card", "load_card", "model_card"]


class GroupDistribution(BaseModel):
    """One demographic group's score distributions on the card's score grid.

    Impostor comparisons are pairs of different people both in the group (e.g. female-female,
    never female-male); mated ones pairs of one person's images. ``fmr_low``/``fmr_high`` are
    the 95% interval of the group's false match rate at each grid score, computed with the
    people (not the pairs) as the unit (see ``source`` on the card and docs/evaluation.md).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = Field(title="Data", description="Short name of the data the group is from.")
    attribute: str = Field(title="Attribute", description="Label(s) the groups split on.")
    group: str = Field(title="Group", description="The group's label(s), e.g. female/asian.")
    subjects: int = Field(ge=0, title="Subjects", description="People in the group.")
    images: int = Field(ge=0, title="Images", description="Images of them used.")
    impostor_comparisons: int = Field(ge=0, title="Impostor comparisons", description="Pairs.")
    mated_comparisons: int = Field(ge=0, title="Mated comparisons", description="Pairs.")
    impostor_at_or_above: list[int] = Field(
        title="Impostors at or above", description="Impostor pairs scoring >= each grid score."
    )
    fmr_low: list[float] = Field(title="FMR low", description="Lower 95% bound at each score.")
    fmr_high: list[float] = Field(
        title="FMR high",
        description="Upper 95% bound at each score; never rises with the score.",
    )
    fnmr: list[float] | None = Field(
        None, title="FNMR", description="Mated pairs below each grid score; None without."
    )

    @property
    def name(self) -> str:
        return f"{self.group} ({self.dataset})"

    def fmr(self, index: int) -> float:
        if self.impostor_comparisons == 0:
            return float("nan")
        return self.impostor_at_or_above[index] / self.impostor_comparisons


class CalibrationCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_id: str = Field(title="Model", description="Embedding model the card describes.")
    version: str = Field(title="Card version", description="Changes whenever the figures change.")
    source: str = Field(title="Data", description="What the scores were measured on, and how.")
    impostor_comparisons: int = Field(ge=1, title="Impostor comparisons", description="Count.")
    mated_comparisons: int = Field(ge=1, title="Mated comparisons", description="Count.")
    thresholds: list[float] = Field(title="Score grid", description="Increasing scores.")
    fmr: list[float] = Field(title="False match rate", description="At each threshold.")
    fnmr: list[float] = Field(title="False non-match rate", description="At each threshold.")
    notes: str = Field(
        "", title="Notes", description="Limits of the figures (who the data under-represents)."
    )
    groups: list[GroupDistribution] = Field(
        default_factory=list,
        title="Groups",
        description="Each labelled group's impostor (and mated) score distribution on the grid.",
    )
    group_intervals: str = Field(
        "", title="Group intervals", description="How the groups' 95% intervals were computed."
    )
    min_subjects: int = Field(
        10, ge=2, title="Fewest subjects", description="Smaller groups are never judged."
    )

    @model_validator(mode="after")
    def _check_grid(self) -> CalibrationCard:
        if not (len(self.thresholds) == len(self.fmr) == len(self.fnmr) >= 2):
            raise ValueError("thresholds, fmr and fnmr must be equal-length lists of 2 or more")
        if any(b <= a for a, b in zip(self.thresholds, self.thresholds[1:], strict=False)):
            raise ValueError("thresholds must increase")
        size = len(self.thresholds)
        for group in self.groups:
            lengths = {len(group.impostor_at_or_above), len(group.fmr_low), len(group.fmr_high)}
            if group.fnmr is not None:
                lengths.add(len(group.fnmr))
            if lengths != {size}:
                raise ValueError(f"group {group.name}: lists must match the score grid")
        return self

    @property
    def min_fmr(self) -> float:
        """The smallest false match rate the data can show (one impostor in all of them)."""
        return 1.0 / self.impostor_comparisons

    def fmr_at(self, score: float) -> float:
        """Estimated false match rate of accepting ``score``; never below what the data resolves."""
        fmr = np.asarray(self.fmr)
        # fmr falls as the threshold rises; interpolate in log space for the tail.
        log_fmr = np.log10(np.maximum(fmr, self.min_fmr / 10))
        value = float(10 ** np.interp(score, self.thresholds, log_fmr))
        return float(min(1.0, max(value, self.min_fmr)))

    def fnmr_at(self, score: float) -> float:
        return float(np.interp(score, self.thresholds, self.fnmr))

    def threshold_for_fmr(self, target_fmr: float) -> float:
        """The lowest score whose estimated false match rate is at or under ``target_fmr``."""
        if target_fmr < self.min_fmr:
            # Beyond what was measured: the highest measured threshold with no impostor above.
            return self.thresholds[-1]
        for threshold, rate in zip(self.thresholds, self.fmr, strict=True):
            if rate <= target_fmr:
                return threshold
        return self.thresholds[-1]

    def grid_index(self, score: float) -> int:
        """Index of the highest grid score at or below ``score`` (0 below the grid): a
        group's rate there is at least its rate at ``score``, never less."""
        return max(0, int(np.searchsorted(self.thresholds, score, side="right")) - 1)

    def can_judge(self, group: GroupDistribution, target_fmr: float) -> bool:
        """Whether ``group`` has the people and pairs to show a rate at ``target_fmr``: at
        least ``min_subjects`` people, and an upper bound that reaches the target somewhere."""
        return group.subjects >= self.min_subjects and min(group.fmr_high) <= target_fmr

    def lowest_threshold_for_groups(
        self, groups: list[GroupDistribution], target_fmr: float
    ) -> float:
        """The lowest grid score at which every one of ``groups`` has the upper end of its 95%
        interval at or under ``target_fmr`` (never below the pooled threshold)."""
        start = self.grid_index(self.threshold_for_fmr(target_fmr))
        for index in range(start, len(self.thresholds)):
            if all(g.fmr_high[index] <= target_fmr for g in groups):
                return self.thresholds[index]
        return self.thresholds[-1]


def build_card(
    model_id: str,
    impostor_scores: npt.ArrayLike,
    mated_scores: npt.ArrayLike,
    source: str,
    version: str,
    notes: str = "",
    grid_size: int = 401,
    groups: Callable[[list[float]], list[GroupDistribution]] | None = None,
) -> CalibrationCard:
    """A card from measured impostor and mated score distributions; ``groups`` makes the
    groups' distributions on the card's score grid."""
    impostor = np.sort(np.asarray(impostor_scores, np.float64))
    mated = np.sort(np.asarray(mated_scores, np.float64))
    low = float(min(impostor[0], mated[0]))
    thresholds = np.linspace(low, 1.0, grid_size)
    fmr = 1.0 - np.searchsorted(impostor, thresholds, side="left") / len(impostor)
    fnmr = np.searchsorted(mated, thresholds, side="left") / len(mated)
    return CalibrationCard(
        model_id=model_id,
        version=version,
        source=source,
        impostor_comparisons=len(impostor),
        mated_comparisons=len(mated),
        thresholds=[round(float(t), 6) for t in thresholds],
        fmr=[float(f) for f in fmr],
        fnmr=[float(f) for f in fnmr],
        notes=notes,
        groups=[] if groups is None else groups([round(float(t), 6) for t in thresholds]),
    )


def load_card(model_id: str, path: Path | None = None) -> CalibrationCard:
    """The card shipped for ``model_id``, or the one at ``path``."""
    try:
        if path is None:
            text = (resources.files("clearsight.match") / "cards" / f"{model_id}.json").read_text()
        else:
            text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as error:
        where = path or f"the bundled card for {model_id}"
        raise ConfigError(f"{where}: no calibration card: {error}") from error
    try:
        return CalibrationCard.model_validate(json.loads(text))
    except ValueError as error:
        raise ConfigError(f"{path or model_id}: invalid calibration card: {error}") from error


def model_card(model_id: str, path: Path | None = None) -> CalibrationCard:
    """``load_card``, refusing a card measured for another model than ``model_id``."""
    card = load_card(model_id, path)
    if card.model_id != model_id:
        raise ConfigError(
            f"{path or model_id}: card is for {card.model_id}, the embedder is {model_id}"
        )
    return card
