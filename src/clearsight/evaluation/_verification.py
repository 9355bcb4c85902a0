"""LFW View 2: 10 folds of 600 pairs, threshold chosen on nine folds, tested on the tenth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clearsight.errors import InputError
from clearsight.evaluation._datasets import PairProtocol
from clearsight.evaluation._extract import EmbeddedImages
from clearsight.evaluation._metrics import (
    FoldResult,
    auc,
    equal_error_rate,
    kfold_accuracy,
    roc_curve,
    tar_at_far,
)

__all__ = ["UNDETECTED_HANDLING", "VerificationResult", "pair_scores", "verify_pairs"]

UNDETECTED_HANDLING = (
    "The face nearest the image centre is used. Where dlib's HOG detector (upsample 1) finds "
    "no face, dlib's CNN (MMOD) detector is tried; where that finds none either, a fixed "
    "central box (43% of the shorter side, LFW's faces are centred) is aligned with the "
    "five-point landmark predictor and embedded. So every image gets a template and all "
    "pairs count, as is usual in the LFW literature."
)

FARS = (1e-2, 1e-3)


def pair_scores(
    embedded: EmbeddedImages, protocol: PairProtocol
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Cosine similarity of every pair, and which pairs have both templates."""
    index = {path: row for row, path in enumerate(embedded.paths)}
    left = np.asarray([index[protocol.images[i]] for i in protocol.left])
    right = np.asarray([index[protocol.images[i]] for i in protocol.right])
    usable = embedded.usable[left] & embedded.usable[right]
    scores = np.einsum(
        "ij,ij->i", embedded.vectors[left].astype(np.float64), embedded.vectors[right]
    )
    return np.where(usable, scores, np.nan), usable


@dataclass(frozen=True, eq=False)
class VerificationResult:
    protocol: str
    dataset: Path
    scores: npt.NDArray[np.float64]
    same: npt.NDArray[np.bool_]
    folds: list[FoldResult]
    pairs_total: int
    pairs_dropped: int
    methods: dict[str, int]
    bad_files: dict[str, str]
    views: tuple[str, ...]

    @property
    def accuracy_mean(self) -> float:
        return float(np.mean([f.accuracy for f in self.folds]))

    @property
    def accuracy_std(self) -> float:
        return float(np.std([f.accuracy for f in self.folds]))

    @property
    def eer(self) -> float:
        return equal_error_rate(self.scores, self.same)[0]

    def summary(self) -> dict[str, object]:
        """The machine-readable report (JSON keys as documented in docs/evaluation.md)."""
        eer, eer_threshold = equal_error_rate(self.scores, self.same)
        tar = {}
        for far in FARS:
            value, threshold = tar_at_far(self.scores, self.same, far)
            tar[f"{far:g}"] = {"tar": value, "threshold": threshold}
        # "bad" files (missing or corrupt, with --skip-bad) are reported under bad_files.
        undetected = {k: v for k, v in self.methods.items() if k not in ("hog", "bad")}
        return {
            "protocol": self.protocol,
            "dataset": str(self.dataset),
            "score": "cosine similarity of unit-length templates; higher = same person",
            "views": list(self.views),
            "pairs": {
                "total": self.pairs_total,
                "scored": len(self.scores),
                "dropped_bad_files": self.pairs_dropped,
                "mated": int(self.same.sum()),
                "impostor": int((~self.same).sum()),
            },
            "accuracy_mean": self.accuracy_mean,
            "accuracy_std": self.accuracy_std,
            "accuracy_std_note": "population standard deviation over the folds (numpy std)",
            "folds": [
                {"fold": f.fold, "threshold": f.threshold, "accuracy": f.accuracy}
                for f in self.folds
            ],
            "auc": auc(self.scores, self.same),
            "eer": eer,
            "eer_threshold": eer_threshold,
            "tar_at_far": tar,
            "undetected_images": {
                "count": int(sum(undetected.values())),
                "by_fallback": undetected,
                "images_total": int(sum(v for k, v in self.methods.items() if k != "bad")),
                "handling": UNDETECTED_HANDLING,
            },
            "bad_files": self.bad_files,
        }

    def roc(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        curve = roc_curve(self.scores, self.same)
        return curve.far, curve.tar


def verify_pairs(
    embedded: EmbeddedImages, protocol: PairProtocol, dataset: Path, views: tuple[str, ...]
) -> VerificationResult:
    scores, usable = pair_scores(embedded, protocol)
    methods: dict[str, int] = {}
    for method in embedded.methods:
        methods[method] = methods.get(method, 0) + 1
    kept_scores = scores[usable]
    kept_same = protocol.same[usable]
    if not kept_same.any() or kept_same.all():
        raise InputError(
            f"{dataset}: only {int(usable.sum())} of {len(protocol)} pairs have both images "
            "usable, not enough mated and impostor pairs to evaluate"
        )
    folds = kfold_accuracy(kept_scores, kept_same, protocol.fold[usable])
    return VerificationResult(
        protocol=f"LFW View 2 ({protocol.folds}-fold, threshold from the other folds)",
        dataset=dataset,
        scores=kept_scores,
        same=kept_same,
        folds=folds,
        pairs_total=len(protocol),
        pairs_dropped=int((~usable).sum()),
        methods=methods,
        bad_files=embedded.bad,
        views=views,
    )
