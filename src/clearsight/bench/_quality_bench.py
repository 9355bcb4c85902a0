"""``bench quality``: how the configured models' true and false match rates change as faces
shrink and blur, the series behind ``quality.min_face_px`` and ``quality.min_sharpness``
(docs/models.md).

Each probe is an LFW image shrunk (area averaging) until the detector's box around its face
is W px wide, then optionally blurred with a Gaussian of sigma s; the detector finds the face
again on the small image, the embedder embeds it, and it is compared with every full-size
gallery image: the same person's other images (mated pairs) and everyone else's (impostor
pairs), at one threshold. A probe whose face is not found again is counted, not matched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from clearsight.config import MatchConfig
from clearsight.detect import FaceDetector
from clearsight.embed import Embedder
from clearsight.errors import InputError
from clearsight.evaluation import parse_pairs
from clearsight.ingest import load_image
from clearsight.match import CalibrationCard, operating_point
from clearsight.quality import sharpness_of
from clearsight.types import FaceDetections, iou_matrix

__all__ = [
    "BLUR_SERIES",
    "SIZE_SERIES",
    "Degradation",
    "QualityProbe",
    "QualityRow",
    "degrade",
    "lfw_protocol_images",
    "load_probes",
    "pooled_threshold",
    "probe_rows",
    "run_quality",
]


@dataclass(frozen=True)
class Degradation:
    """A face shrunk to ``width`` px (the detector's box), then blurred by ``sigma`` (0: none)."""

    width: int
    sigma: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.width} px" + (f", s {self.sigma:.1f}" if self.sigma else "")


SIZE_SERIES = tuple(Degradation(width) for width in (20, 24, 32, 40, 48, 60, 80))
"""docs/models.md's "How small a face SFace can match"."""
BLUR_SERIES = (
    *(Degradation(48, sigma) for sigma in (0.5, 1.0, 1.5, 2.0, 3.0)),
    *(Degradation(64, sigma) for sigma in (1.0, 2.0)),
)
"""docs/models.md's "How blurred a face SFace can match"."""


@dataclass(frozen=True, eq=False)
class QualityProbe:
    """A full-size image, the detector's box around its face, and its gallery row."""

    image: npt.NDArray[np.uint8]
    box: npt.NDArray[np.float32]
    row: int


@dataclass(frozen=True)
class QualityRow:
    """One degradation's figures over every probe."""

    degradation: Degradation
    probes: int
    found: int
    mated_pairs: int
    true_matches: int
    impostor_pairs: int
    false_matches: int
    sharpness_p10: float
    sharpness_p50: float
    """Of the found faces' chips (NaN when none was found)."""

    @property
    def true_match_rate(self) -> float:
        """Mated pairs at or over the threshold, of the found probes' mated pairs."""
        return self.true_matches / self.mated_pairs if self.mated_pairs else float("nan")

    @property
    def false_match_rate(self) -> float:
        return self.false_matches / self.impostor_pairs if self.impostor_pairs else float("nan")


def pooled_threshold(card: CalibrationCard, match: MatchConfig) -> float:
    """The card's threshold for ``match.target_fmr`` over all impostor pairs together: the
    series are measured there, where their shape was first measured (docs/models.md)."""
    return operating_point(card, match.model_copy(update={"rule": "pooled"})).threshold


def lfw_protocol_images(
    root: Path, limit: int | None = None
) -> tuple[list[Path], npt.NDArray[np.int64]]:
    """The images LFW's pairs.txt names, sorted by person (the first ``limit`` of them), and
    each one's person as an index."""
    pairs = root / "pairs.txt"
    if not pairs.is_file():
        raise InputError(f"{root}: not an LFW folder (no pairs.txt)")
    paths = sorted(parse_pairs(pairs, root).images)[:limit]
    names = sorted({path.parent.name for path in paths})
    index = {name: number for number, name in enumerate(names)}
    return paths, np.asarray([index[path.parent.name] for path in paths], np.int64)


def probe_rows(
    subjects: npt.NDArray[np.int64], usable: npt.NDArray[np.bool_], count: int
) -> list[int]:
    """``count`` gallery rows spread evenly over the usable images whose person has another
    usable image (so each probe has mated pairs)."""
    per_subject = np.bincount(subjects[usable], minlength=int(subjects.max(initial=0)) + 1)
    eligible = np.flatnonzero(usable & (per_subject[subjects] >= 2))
    if len(eligible) <= count:
        return [int(row) for row in eligible]
    picks = np.linspace(0, len(eligible) - 1, count).round().astype(np.int64)
    return [int(eligible[pick]) for pick in picks]


def load_probes(
    paths: Sequence[Path], rows: Sequence[int], detector: FaceDetector
) -> list[QualityProbe]:
    """The probes at ``rows``, each with the detector's box around the face nearest the
    image's centre (the face its gallery template was made from); images where the detector
    finds no face are left out."""
    probes = []
    for row in rows:
        image = load_image(paths[row])
        found = detector.detect(image)
        if len(found) == 0:
            continue
        centres = (found.boxes[:, :2] + found.boxes[:, 2:]) / 2
        offset = centres - np.array([image.shape[1], image.shape[0]], np.float32) / 2
        nearest = int(np.argmin(np.hypot(offset[:, 0], offset[:, 1])))
        probes.append(QualityProbe(image, found.boxes[nearest].copy(), row))
    return probes


def degrade(
    image: npt.NDArray[np.uint8], face_width: float, degradation: Degradation
) -> tuple[npt.NDArray[np.uint8], float]:
    """``image`` scaled so a face ``face_width`` px wide becomes ``degradation.width`` px,
    blurred as it says, and the scale applied."""
    scale = degradation.width / face_width
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    if degradation.sigma:
        small = cv2.GaussianBlur(small, (0, 0), degradation.sigma)
    return np.ascontiguousarray(small, np.uint8), scale


def _same_face(found: FaceDetections, expected: npt.NDArray[np.float32]) -> FaceDetections:
    """The detection overlapping the expected box most (none if none overlaps it)."""
    if len(found) == 0:
        return found
    overlap = iou_matrix(expected[None], found.boxes)[0]
    best = int(np.argmax(overlap))
    return found[best : best + 1] if overlap[best] > 0.3 else found[:0]


def _probe_vector(
    probe: QualityProbe,
    degradation: Degradation,
    detector: FaceDetector,
    embedder: Embedder,
) -> tuple[npt.NDArray[np.float32], float] | None:
    face_width = float(probe.box[2] - probe.box[0])
    small, scale = degrade(probe.image, face_width, degradation)
    face = _same_face(detector.detect(small), (probe.box * scale).astype(np.float32))
    if len(face) == 0:
        return None
    chips = embedder.cut_chips(small, face)
    return embedder.embed(chips)[0], sharpness_of(chips[0])


def run_quality(
    probes: Sequence[QualityProbe],
    gallery: npt.NDArray[np.float32],
    subjects: npt.NDArray[np.int64],
    degradations: Sequence[Degradation],
    detector: FaceDetector,
    embedder: Embedder,
    threshold: float,
    advance: Callable[[], None] = lambda: None,
) -> list[QualityRow]:
    """Figures per degradation. ``gallery`` holds one unit template per full-size image (NaN
    rows where no face was found, left out), ``subjects`` each row's person; a probe is never
    compared with its own full-size image. ``advance`` is called after each probe."""
    usable = np.isfinite(gallery).all(axis=1)
    rows = []
    for degradation in degradations:
        found, mated, true, impostor, false = 0, 0, 0, 0, 0
        sharpness: list[float] = []
        for probe in probes:
            result = _probe_vector(probe, degradation, detector, embedder)
            advance()
            if result is None:
                continue
            vector, chip_sharpness = result
            found += 1
            sharpness.append(chip_sharpness)
            scores = np.where(usable, np.nan_to_num(gallery) @ vector, -np.inf)
            others = usable & (np.arange(len(gallery)) != probe.row)
            same = others & (subjects == subjects[probe.row])
            different = usable & (subjects != subjects[probe.row])
            mated += int(same.sum())
            true += int((scores[same] >= threshold).sum())
            impostor += int(different.sum())
            false += int((scores[different] >= threshold).sum())
        p10, p50 = np.percentile(sharpness, [10, 50]) if sharpness else (np.nan, np.nan)
        rows.append(
            QualityRow(degradation, len(probes), found, mated, true, impostor, false, p10, p50)
        )
    return rows
