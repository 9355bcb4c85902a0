"""The evaluation runs behind the CLI: load a dataset, embed it through the cache, measure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from clearsight.config import ClearsightConfig
from clearsight.errors import InputError
from clearsight.evaluation._calibrate import card_from_statistics
from clearsight.evaluation._configured import embed_with_config
from clearsight.evaluation._datasets import ImageSet, load_manifest, parse_pairs
from clearsight.evaluation._extract import EmbeddedImages, ExtractOptions, embed_images
from clearsight.evaluation._fairness import FairnessOptions, FairnessReport, evaluate_fairness
from clearsight.evaluation._groups import group_distributions
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
    "GroupSource",
    "LabelledEmbeddings",
    "calibrate_card",
    "embed_dataset",
    "run_fairness",
    "run_identify",
    "run_lfw",
]

ImageScope = Literal["all", "pairs"]


def run_lfw(
    root: Path, options: ExtractOptions, models: tuple[ClearsightConfig, str] | None = None
) -> VerificationResult:
    """LFW View 2 on ``root/pairs.txt`` and ``root/images``: embedded by dlib's evaluation
    recipe, or with ``models`` (a pipeline config and its embedder's model id) as the
    pipeline embeds them."""
    protocol = parse_pairs(root / "pairs.txt", root)
    if models is None:
        embedded = embed_images(protocol.images, options)
        return verify_pairs(embedded, protocol, root, options.views)
    config, model_id = models
    embedded = embed_with_config(
        protocol.images,
        config,
        model_id,
        options.cache_dir,
        options.workers,
        options.skip_bad,
        options.progress,
    )
    return verify_pairs(embedded, protocol, root, ("pipeline",))


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
    root: Path | None,
    manifest: Path | None,
    options: ExtractOptions,
    scope: ImageScope = "all",
    models: tuple[ClearsightConfig, str] | None = None,
) -> LabelledEmbeddings:
    """A CSV manifest's images, or an LFW folder's (all, or only those in pairs.txt),
    embedded by dlib's evaluation recipe, or with ``models`` (a pipeline config and its
    embedder's model id) as the pipeline embeds them."""
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
    if models is None:
        embedded = embed_images(images.paths, options)
    else:
        config, model_id = models
        embedded = embed_with_config(
            images.paths,
            config,
            model_id,
            options.cache_dir,
            options.workers,
            options.skip_bad,
            options.progress,
        )
    return LabelledEmbeddings(images, embedded, source, notes, name)


def run_fairness(data: LabelledEmbeddings, options: FairnessOptions) -> FairnessReport:
    return evaluate_fairness(data.images, data.embedded.vectors, options)


def run_identify(data: LabelledEmbeddings, options: IdentifyOptions) -> list[GallerySizeResult]:
    return evaluate_identification(data.subject_ids(), data.embedded.vectors, options)


CARD_NOTES = (
    "LFW is mostly white men photographed by the press; it under-represents women, older and "
    "younger people and most ethnic groups, and within-group false match rates for them are "
    "measured to be many times higher. The card therefore keeps each labelled group's own "
    "impostor distribution (groups), and the default operating point (match.rule "
    "every-group) is the lowest score at which every group with enough data stays at or "
    "under the target on the upper end of its 95% interval. Groups come from the labels of "
    "the data named in source; no one's sex or race is inferred at run time. Below about "
    "1/impostor_comparisons the pooled figures cannot resolve rates."
)

GROUP_INTERVALS = (
    "95% interval per group and score: Clopper-Pearson on the effective number of pairs "
    "(pairs / design effect), the design effect being the leave-one-person-out jackknife "
    "variance over the binomial one (at least 1; carried up from the last score with 5 or more "
    "false matches); upper bounds made non-increasing in the score. People, not pairs, are "
    "the independent unit (docs/evaluation.md)."
)


def _fine_grid(
    base: npt.NDArray[np.float64], card_low: float, step: float
) -> npt.NDArray[np.float64]:
    fine = np.arange(card_low, 1.0 + step / 2, step)
    return np.unique(np.round(np.concatenate([base, fine]), 6))


@dataclass(frozen=True)
class GroupSource:
    """Labelled data whose groups go on the card: which label column(s), under what name."""

    data: LabelledEmbeddings
    attribute: str
    dataset: str


def calibrate_card(
    lfw: LabelledEmbeddings,
    extra: list[GroupSource],
    model_id: str,
    version: str,
    max_images_per_subject: int,
    seed: int,
    how: str,
    lfw_attributes: tuple[str, ...] = ("sex", "race"),
) -> tuple[CalibrationCard, list[str]]:
    """A card from all pairs among LFW's images (at most N per person, seeded): the pooled
    distributions, LFW's groups (impostor and mated) and each extra source's groups
    (impostor, and mated where it has several images of a person). Also how labels were read."""
    vectors = lfw.embedded.vectors
    usable = ~np.isnan(vectors).any(axis=1)
    subjects = lfw.subject_ids()
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(vectors), np.bool_)
    for subject in np.unique(subjects[usable]):
        rows = np.flatnonzero(usable & (subjects == subject))
        if rows.size > max_images_per_subject:
            rows = rng.choice(rows, max_images_per_subject, replace=False)
        keep[rows] = True
    order = np.flatnonzero(keep)
    order = order[np.argsort(subjects[order], kind="stable")]  # pair_statistics wants them so
    statistics = pair_statistics(np.ascontiguousarray(vectors[order]), subjects[order])
    pooled = card_from_statistics(model_id, statistics, "", version, CARD_NOTES)
    # A 0.001 step from the pooled FMR 1e-2 score up: where every group's threshold falls.
    grid = _fine_grid(np.asarray(pooled.thresholds), pooled.threshold_for_fmr(1e-2), 0.001)
    pooled = card_from_statistics(model_id, statistics, "", version, CARD_NOTES, grid=grid)
    groups = []
    handling = []
    # Groups are named short ("female (LFW)"); ``source`` says which LFW images.
    sources = [GroupSource(lfw, a, "LFW") for a in lfw_attributes] + list(extra)
    for number, source in enumerate(sources):
        found, notes = group_distributions(
            source.data.images,
            source.data.embedded.vectors,
            source.attribute,
            source.dataset,
            np.asarray(pooled.thresholds),
            max_images_per_subject,
            seed + 101 * number,
        )
        groups.extend(found)
        handling.append(f"{source.dataset}, {source.attribute}: {notes}")
    described = "; ".join(
        f"{s.dataset} ({s.data.embedded.usable.sum()} of {len(s.data.images.paths)} images "
        f"with a face), groups by {s.attribute}"
        for s in extra
    )
    source_text = (
        f"{lfw.dataset_name}: {int(keep.sum())} images of {len(np.unique(subjects[keep]))} "
        f"people (at most {max_images_per_subject} per person, seed {seed}), all pairs, pooled "
        f"and by {' and '.join(lfw_attributes)}"
        + (f"; plus {described}" if described else "")
        + f"; {how}; cosine similarity"
    )
    card = pooled.model_copy(
        update={"source": source_text, "groups": groups, "group_intervals": GROUP_INTERVALS}
    )
    return CalibrationCard.model_validate(card.model_dump()), handling
