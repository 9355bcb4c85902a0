"""Demographic differentials in the manner of NIST IR 8280.

For each group: the false match rate over impostor pairs drawn within the group (e.g.
female-female), the false non-match rate over its mated pairs, both at one global threshold,
each as a ratio to the best group, with subject-level bootstrap 95% intervals; and the
threshold at which every (large enough) group's false match rate stays under a target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from clearsight.errors import InputError
from clearsight.evaluation._bootstrap import bootstrap_impostor_rate, bootstrap_mated_rate
from clearsight.evaluation._datasets import ImageSet
from clearsight.evaluation._pairs import (
    PairStatistics,
    count_accepted,
    pair_statistics,
    threshold_from_histogram,
)

__all__ = ["FairnessOptions", "FairnessReport", "GroupResult", "evaluate_fairness", "group_images"]

MultiLabel = Literal["separate", "each"]
MULTI_GROUP = "multiple"


@dataclass(frozen=True)
class FairnessOptions:
    attribute: str
    target_fmr: float = 1e-3
    threshold: float | None = None
    max_images_per_subject: int = 10
    min_subjects: int = 10
    replicates: int = 1000
    seed: int = 0
    multi_label: MultiLabel = "separate"


@dataclass(frozen=True, eq=False)
class GroupResult:
    name: str
    subjects: int
    images: int
    statistics: PairStatistics
    fmr: float
    fmr_ci: tuple[float, float]
    fnmr: float
    fnmr_ci: tuple[float, float]
    threshold_for_target: float
    fnmr_at_target_threshold: float
    too_small: bool


def _split_labels(value: str) -> list[str]:
    return [part.strip().lower() for part in re.split(r"[,;|]", value) if part.strip()]


def group_images(
    images: ImageSet, attribute: str, multi_label: MultiLabel
) -> tuple[dict[str, npt.NDArray[np.bool_]], str]:
    """Each group's image mask, and how multi-valued or missing labels were handled;
    ``sex+race`` crosses two label columns into cells (female/asian, ...)."""
    if "+" in attribute:
        parts = [a.strip() for a in attribute.split("+") if a.strip()]
        masks, handling = _single_column(images, parts[0], multi_label)
        for part in parts[1:]:
            more, also = _single_column(images, part, multi_label)
            crossed = {f"{a}/{b}": m & n for a, m in masks.items() for b, n in more.items()}
            masks = {k: v for k, v in crossed.items() if v.any()}
            handling += " " + also
        return masks, handling
    return _single_column(images, attribute, multi_label)


def _single_column(
    images: ImageSet, attribute: str, multi_label: MultiLabel
) -> tuple[dict[str, npt.NDArray[np.bool_]], str]:
    if attribute not in images.labels:
        raise InputError(
            f"no label column {attribute!r}; available: "
            f"{', '.join(sorted(images.labels)) or 'none'}"
        )
    values = images.labels[attribute]
    groups: dict[str, npt.NDArray[np.bool_]] = {}
    unlabelled = multi = 0
    for row, value in enumerate(values):
        labels = _split_labels(value)
        if not labels:
            unlabelled += 1
            continue
        if len(labels) > 1:
            multi += 1
            if multi_label == "separate":
                labels = [MULTI_GROUP]
        for label in dict.fromkeys(labels):
            groups.setdefault(label, np.zeros(len(values), np.bool_))[row] = True
    handling = (
        f"{unlabelled} images without a {attribute} label are left out. "
        + (
            f"{multi} images carry several labels (e.g. 'african,caucasian'); they form their "
            f"own group '{MULTI_GROUP}' rather than being counted in each"
            if multi_label == "separate"
            else f"{multi} images carry several labels and are counted in each of them"
        )
        + "."
    )
    return dict(sorted(groups.items())), handling


def _cap_per_subject(
    subjects: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_], cap: int, seed: int
) -> npt.NDArray[np.int64]:
    """Row indices of the group's images, at most ``cap`` per subject (seeded), by subject."""
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(mask)
    chosen = []
    for subject in np.unique(subjects[rows]):
        own = rows[subjects[rows] == subject]
        if own.size > cap:
            own = np.sort(rng.choice(own, cap, replace=False))
        chosen.append(own)
    return np.concatenate(chosen) if chosen else np.zeros(0, np.int64)


def _mated_counts(stats: PairStatistics, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    rejected = np.bincount(
        stats.mated_subject,
        weights=(stats.mated_scores < threshold).astype(np.float64),
        minlength=stats.subjects,
    )
    pairs = np.bincount(stats.mated_subject, minlength=stats.subjects).astype(np.float64)
    return rejected, pairs


@dataclass(frozen=True, eq=False)
class FairnessReport:
    attribute: str
    options: FairnessOptions
    threshold: float
    threshold_source: str
    groups: list[GroupResult]
    label_handling: str
    images_unusable: int

    def threshold_for_target_fmr(self) -> float:
        usable = [g.threshold_for_target for g in self.groups if not g.too_small]
        return float(max(usable)) if usable else float("nan")

    def summary(self) -> dict[str, object]:
        sized = [g for g in self.groups if not g.too_small]
        best_fmr = min((g.fmr for g in sized if g.fmr > 0), default=float("nan"))
        best_fnmr = min((g.fnmr for g in sized if g.fnmr > 0), default=float("nan"))
        groups: dict[str, object] = {}
        for g in self.groups:
            entry: dict[str, object] = {
                "subjects": g.subjects,
                "images": g.images,
                "impostor_pairs": g.statistics.impostor_pairs,
                "mated_pairs": g.statistics.mated_pairs,
            }
            if g.too_small:
                entry.update(
                    too_small=True,
                    note=f"fewer than {self.options.min_subjects} subjects: no rate is reported",
                )
            else:
                entry.update(
                    too_small=False,
                    resolves_target_fmr=g.statistics.impostor_pairs * self.options.target_fmr >= 3,
                    fmr=g.fmr,
                    fmr_ci=list(g.fmr_ci),
                    fnmr=g.fnmr,
                    fnmr_ci=list(g.fnmr_ci),
                    fmr_ratio_to_best=g.fmr / best_fmr if best_fmr > 0 else None,
                    fnmr_ratio_to_best=g.fnmr / best_fnmr if best_fnmr > 0 else None,
                    threshold_for_target_fmr=g.threshold_for_target,
                    fnmr_at_own_target_threshold=g.fnmr_at_target_threshold,
                )
            groups[g.name] = entry
        common = self.threshold_for_target_fmr()
        return {
            "attribute": self.attribute,
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
            "target_fmr": self.options.target_fmr,
            "threshold_for_target_fmr": common,
            "fnmr_at_threshold_for_target": {g.name: _fnmr(g.statistics, common) for g in sized},
            "groups": groups,
            "method": {
                "impostor_pairs": "all pairs of different subjects within the group",
                "mated_pairs": "all pairs of one subject's images within the group",
                "max_images_per_subject": self.options.max_images_per_subject,
                "confidence_intervals": f"95% percentile bootstrap over subjects, "
                f"{self.options.replicates} replicates, seed {self.options.seed}",
                "min_subjects": self.options.min_subjects,
                "zero_events": "where a group shows no error, the interval's upper end is the "
                "exact binomial (Clopper-Pearson) bound, pairs treated as independent",
                "resolves_target_fmr": "false where the group has under 3/target impostor "
                "pairs: an FMR at the target cannot be told apart from zero",
                "label_handling": self.label_handling,
                "images_without_template": self.images_unusable,
                "threshold_for_target_fmr_note": "the largest of the groups' own thresholds, "
                "read from a histogram with 1e-4 bins (rounded up)",
            },
        }


def _zero_event_upper(trials: int) -> float:
    """Upper end of the exact (Clopper-Pearson) 95% interval when no error was seen in
    ``trials``; a bootstrap cannot show uncertainty without events."""
    return float(1.0 - 0.025 ** (1.0 / trials)) if trials else float("nan")


def _fnmr(stats: PairStatistics, threshold: float) -> float:
    if stats.mated_pairs == 0:
        return float("nan")
    return float(np.mean(stats.mated_scores < threshold))


def evaluate_fairness(
    images: ImageSet, vectors: npt.NDArray[np.float32], options: FairnessOptions
) -> FairnessReport:
    """Per-group rates at one global threshold (given, or the pooled within-group impostor
    threshold for ``target_fmr``). ``vectors`` rows are unit templates, NaN where none."""
    masks, handling = group_images(images, options.attribute, options.multi_label)
    usable = ~np.isnan(vectors).any(axis=1)
    _, subject_ids = np.unique(np.asarray(images.subjects), return_inverse=True)
    subject_ids = subject_ids.astype(np.int64)
    prepared = []
    for name, mask in masks.items():
        rows = _cap_per_subject(
            subject_ids, mask & usable, options.max_images_per_subject, options.seed
        )
        group_vectors = np.ascontiguousarray(vectors[rows])
        stats = pair_statistics(group_vectors, subject_ids[rows])
        prepared.append((name, rows, group_vectors, stats))
    if not prepared:
        raise InputError(f"no image has a {options.attribute!r} label")
    if options.threshold is None:
        pooled = np.sum([p[3].impostor_histogram for p in prepared], axis=0)
        threshold = threshold_from_histogram(pooled, options.target_fmr)
        source = f"pooled within-group impostor pairs at FMR {options.target_fmr:g}"
    else:
        threshold, source = options.threshold, "given"
    groups = []
    for index, (name, rows, group_vectors, stats) in enumerate(prepared):
        seed = options.seed + 7919 * index
        too_small = stats.subjects < options.min_subjects
        fmr = fnmr = float("nan")
        fmr_ci = fnmr_ci = (float("nan"), float("nan"))
        own_threshold = own_fnmr = float("nan")
        if not too_small:
            accepted = count_accepted(group_vectors, subject_ids[rows], threshold)
            sizes = stats.images_per_subject.astype(np.float64)
            pairs = np.outer(sizes, sizes)
            np.fill_diagonal(pairs, 0.0)
            fmr = float(accepted.sum() / pairs.sum()) if pairs.sum() else float("nan")
            fmr_ci = bootstrap_impostor_rate(accepted, pairs, options.replicates, seed)
            if accepted.sum() == 0:
                fmr_ci = (0.0, _zero_event_upper(stats.impostor_pairs))
            fnmr = _fnmr(stats, threshold)
            rejected, mated = _mated_counts(stats, threshold)
            fnmr_ci = bootstrap_mated_rate(rejected, mated, options.replicates, seed + 1)
            if rejected.sum() == 0:
                fnmr_ci = (0.0, _zero_event_upper(stats.mated_pairs))
            own_threshold = threshold_from_histogram(stats.impostor_histogram, options.target_fmr)
            own_fnmr = _fnmr(stats, own_threshold)
        groups.append(
            GroupResult(
                name,
                stats.subjects,
                int(rows.size),
                stats,
                fmr,
                fmr_ci,
                fnmr,
                fnmr_ci,
                own_threshold,
                own_fnmr,
                too_small,
            )
        )
    return FairnessReport(
        options.attribute, options, threshold, source, groups, handling, int((~usable).sum())
    )
