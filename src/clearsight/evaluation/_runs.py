"""The evaluation runs behind the CLI: load a dataset, embed it through the cache, measure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from clearsight.errors import InputError
from clearsight.evaluation._calibrate import card_from_statistics
from clearsight.evaluation._datasets import ImageSet, load_manifest, parse_pairs
from clearsight.evaluation._extract import EmbeddedImages, ExtractOptions, embed_images
from clearsight.evaluation._fairness import FairnessOptions, FairnessReport, evaluate_fairness
from clearsight.evaluation._identify import (
    GallerySizeResult,
    IdentifyOptions,
    evaluate_identification,
)
from clearsight.evaluation._lfw_labels import is_lfw_folder, lfw_labelled_images
from clearsight.evaluation._pairs import pair_statistics
from clearsight.evaluation._verification import VerificationResult, verify_pairs
from clearsight.match import CalibrationCard

__all__ = [
    "LabelledEmbeddings",
    "calibrate_lfw",
    "embed_dataset",
    "run_fairness",
    "run_identify",
    "run_lfw",
]

ImageScope = Literal["all", "pairs"]


def run_lfw(root: Path, options: ExtractOptions) -> VerificationResult:
    """LFW View 2 on ``root/pairs.txt`` and ``root/images``."""
    protocol = parse_pairs(root / "pairs.txt", root)
    embedded = embed_images(protocol.images, options)
    return verify_pairs(embedded, protocol, root, options.views)


@dataclass(frozen=True, eq=False)
class LabelledEmbeddings:
    images: ImageSet
    embedded: EmbeddedImages
    source: str
    label_notes: str
    dataset_name: str
    """Short name without local paths (for the shipped card)."""

    def subject_ids(self) -> npt.NDArray[np.int64]:
        _, ids = np.unique(np.asarray(self.images.subjects), return_inverse=True)
        return ids.astype(np.int64)


def embed_dataset(
    root: Path | None, manifest: Path | None, options: ExtractOptions, scope: ImageScope = "all"
) -> LabelledEmbeddings:
    """A CSV manifest's images, or an LFW folder's (all, or only those in pairs.txt)."""
    if manifest is not None:
        images, notes = load_manifest(manifest), ""
        source, name = f"manifest {manifest}", f"manifest {manifest.name}"
    elif root is not None and is_lfw_folder(root):
        images, label_notes = lfw_labelled_images(root)
        notes = label_notes.describe()
        source, name = f"LFW at {root}", "LFW (deep-funneled)"
        if scope == "pairs":
            wanted = set(parse_pairs(root / "pairs.txt", root).images)
            images = images.subset(np.asarray([p in wanted for p in images.paths]))
            source += " (images named in pairs.txt)"
            name += " (images named in pairs.txt)"
    elif root is not None:
        raise InputError(
            f"{root}: not an LFW folder (needs images/ and labels/); pass --manifest CSV instead"
        )
    else:
        raise InputError("give an LFW folder or --manifest CSV")
    embedded = embed_images(images.paths, options)
    return LabelledEmbeddings(images, embedded, source, notes, name)


def run_fairness(data: LabelledEmbeddings, options: FairnessOptions) -> FairnessReport:
    return evaluate_fairness(data.images, data.embedded.vectors, options)


def run_identify(data: LabelledEmbeddings, options: IdentifyOptions) -> list[GallerySizeResult]:
    return evaluate_identification(data.subject_ids(), data.embedded.vectors, options)


CARD_NOTES = (
    "LFW is mostly white men photographed by the press; it under-represents women, older and "
    "younger people and most ethnic groups, and within-group false match rates for them are "
    "measured to be several times higher (docs/evaluation.md, `clearsight eval fairness`). "
    "Below about 1/impostor_comparisons the card cannot resolve rates. Set thresholds from the "
    "worst group: see group_thresholds and threshold_for_fmr_all_groups."
)


def calibrate_lfw(
    data: LabelledEmbeddings,
    model_id: str,
    version: str,
    max_images_per_subject: int,
    group_targets: tuple[float, ...],
    seed: int,
    views: tuple[str, ...],
) -> CalibrationCard:
    """A card from all pairs among the dataset's images (at most N per person, seeded), with
    each labelled group's own threshold for each target FMR."""
    vectors = data.embedded.vectors
    usable = ~np.isnan(vectors).any(axis=1)
    subjects = data.subject_ids()
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(vectors), np.bool_)
    for subject in np.unique(subjects[usable]):
        rows = np.flatnonzero(usable & (subjects == subject))
        if rows.size > max_images_per_subject:
            rows = rng.choice(rows, max_images_per_subject, replace=False)
        keep[rows] = True
    order = np.flatnonzero(keep)
    statistics = pair_statistics(np.ascontiguousarray(vectors[order]), subjects[order])
    groups: list[dict[str, object]] = []
    for attribute in sorted(data.images.labels):
        for target in group_targets:
            report = evaluate_fairness(
                data.images,
                vectors,
                FairnessOptions(attribute=attribute, target_fmr=target, replicates=0, seed=seed),
            )
            groups.extend(
                {
                    "attribute": attribute,
                    "group": g.name,
                    "target_fmr": target,
                    "threshold": round(g.threshold_for_target, 6),
                    "impostor_comparisons": g.statistics.impostor_pairs,
                }
                for g in report.groups
                if not g.too_small
            )
    source = (
        f"{data.dataset_name}: {int(keep.sum())} images of {len(np.unique(subjects[keep]))} "
        f"people (at most {max_images_per_subject} per person, seed {seed}), all pairs; face "
        f"nearest the centre, HOG then CNN then a central box; template = mean of views "
        f"{', '.join(views)}; cosine similarity"
    )
    return card_from_statistics(model_id, statistics, source, version, CARD_NOTES, groups)
