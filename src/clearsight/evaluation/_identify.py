"""Open-set 1:N identification, as a watchlist works.

People with two or more usable photos are enrolled with their first photo; their other
photos are mated probes (at most ``max_probes_per_subject`` each, seeded). People with one
photo are split at random: half enrolled as distractors, half used as non-mated probes (never
enrolled). A gallery of size N draws N of the enrolled identities (seeded); each search
returns the best-scoring identity. FPIR is the share of non-mated searches whose best score
reaches the threshold; FNIR the share of mated searches whose mate is not returned at rank 1
at or above it. The threshold for each FPIR target comes from the non-mated best scores.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearsight.errors import InputError
from clearsight.evaluation._metrics import threshold_for_fmr

__all__ = ["GallerySizeResult", "IdentifyOptions", "evaluate_identification"]

FPIRS = (1e-2, 1e-3)


@dataclass(frozen=True)
class IdentifyOptions:
    gallery_sizes: tuple[int, ...] = (100, 1000, 0)
    """0 means every enrolled identity."""
    max_probes_per_subject: int = 10
    seed: int = 0


@dataclass(frozen=True)
class GallerySizeResult:
    gallery_size: int
    mated_identities: int
    mated_probes: int
    non_mated_probes: int
    rank1: float
    fnir_at_fpir: dict[str, float]
    thresholds: dict[str, float]

    def summary(self) -> dict[str, object]:
        return {
            "gallery_size": self.gallery_size,
            "mated_identities_in_gallery": self.mated_identities,
            "mated_probes": self.mated_probes,
            "non_mated_probes": self.non_mated_probes,
            "rank1": self.rank1,
            "fnir_at_fpir": self.fnir_at_fpir,
            "threshold_at_fpir": self.thresholds,
        }


@dataclass(frozen=True, eq=False)
class _Split:
    gallery_rows: npt.NDArray[np.int64]
    gallery_subject: npt.NDArray[np.int64]
    mated_rows: npt.NDArray[np.int64]
    mated_subject: npt.NDArray[np.int64]
    non_mated_rows: npt.NDArray[np.int64]


def _split(subjects: npt.NDArray[np.int64], options: IdentifyOptions) -> _Split:
    rng = np.random.default_rng(options.seed)
    gallery: list[int] = []
    gallery_subject: list[int] = []
    mated: list[int] = []
    mated_subject: list[int] = []
    singles: list[int] = []
    order = np.argsort(subjects, kind="stable")
    boundaries = np.flatnonzero(np.r_[True, np.diff(subjects[order]) != 0, True])
    for start, stop in itertools.pairwise(boundaries):
        rows = order[start:stop]
        subject = int(subjects[rows[0]])
        if rows.size == 1:
            singles.append(int(rows[0]))
            continue
        gallery.append(int(rows[0]))
        gallery_subject.append(subject)
        probes = rows[1:]
        if probes.size > options.max_probes_per_subject:
            probes = np.sort(rng.choice(probes, options.max_probes_per_subject, replace=False))
        mated.extend(int(r) for r in probes)
        mated_subject.extend([subject] * probes.size)
    singles_array = rng.permutation(np.asarray(singles, np.int64))
    half = singles_array.size // 2
    distractors, non_mated = singles_array[:half], singles_array[half:]
    return _Split(
        gallery_rows=np.r_[np.asarray(gallery, np.int64), distractors],
        gallery_subject=np.r_[np.asarray(gallery_subject, np.int64), subjects[distractors]],
        mated_rows=np.asarray(mated, np.int64),
        mated_subject=np.asarray(mated_subject, np.int64),
        non_mated_rows=np.sort(non_mated),
    )


def _best(
    probes: npt.NDArray[np.float32], gallery: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    best_index = np.zeros(len(probes), np.int64)
    best_score = np.full(len(probes), -np.inf)
    for start in range(0, len(probes), 2048):
        scores = probes[start : start + 2048] @ gallery.T
        best_index[start : start + 2048] = np.argmax(scores, axis=1)
        best_score[start : start + 2048] = scores.max(axis=1)
    return best_index, best_score


def evaluate_identification(
    subjects: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32], options: IdentifyOptions
) -> list[GallerySizeResult]:
    """One result per gallery size; ``vectors`` rows are unit templates (NaN rows are skipped)."""
    usable = np.flatnonzero(~np.isnan(vectors).any(axis=1))
    split = _split(subjects[usable], options)
    to_rows = usable  # split indices are positions within ``usable``
    gallery_all = to_rows[split.gallery_rows]
    if gallery_all.size == 0 or split.non_mated_rows.size == 0 or split.mated_rows.size == 0:
        raise InputError("identification needs people with 2+ photos and people with 1 photo")
    rng = np.random.default_rng(options.seed + 1)
    results = []
    non_mated = vectors[to_rows[split.non_mated_rows]]
    for requested in options.gallery_sizes:
        size = gallery_all.size if requested <= 0 else min(requested, gallery_all.size)
        chosen = np.sort(rng.choice(gallery_all.size, size, replace=False))
        gallery_vectors = vectors[gallery_all[chosen]]
        gallery_ids = split.gallery_subject[chosen]
        enrolled = np.isin(split.mated_subject, gallery_ids)
        mated_vectors = vectors[to_rows[split.mated_rows[enrolled]]]
        mated_truth = split.mated_subject[enrolled]
        mated_index, mated_score = _best(mated_vectors, gallery_vectors)
        hit = gallery_ids[mated_index] == mated_truth
        _, non_mated_score = _best(non_mated, gallery_vectors)
        fnir, thresholds = {}, {}
        for fpir in FPIRS:
            threshold = threshold_for_fmr(non_mated_score, fpir)
            fnir[f"{fpir:g}"] = float(np.mean(~(hit & (mated_score >= threshold))))
            thresholds[f"{fpir:g}"] = threshold
        results.append(
            GallerySizeResult(
                gallery_size=int(size),
                mated_identities=int(np.unique(mated_truth).size),
                mated_probes=int(mated_truth.size),
                non_mated_probes=int(non_mated.shape[0]),
                rank1=float(np.mean(hit)) if hit.size else float("nan"),
                fnir_at_fpir=fnir,
                thresholds=thresholds,
            )
        )
    return results
