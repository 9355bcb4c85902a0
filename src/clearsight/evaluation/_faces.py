"""One image in, one face's descriptors out: the work each evaluation worker process does.

The face is the detection nearest the image centre (evaluation images are centred on their
subject). When HOG finds none, dlib's CNN detector tries; when that finds none either and
the ``centre`` fallback is on (LFW: every image is a 250x250 crop centred on the face), a
fixed central box is used with landmarks from the five-point predictor, as is usual in the
LFW literature, so that every protocol pair is scored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from clearsight.config import CnnDetectorConfig, HogDetectorConfig
from clearsight.detect import CnnFaceDetector, FaceDetector, HogFaceDetector, locate_landmarks
from clearsight.embed import CHIP_SIZE, DlibResNetEmbedder, align_chips
from clearsight.errors import ImageError
from clearsight.evaluation._cache import CachedFace
from clearsight.ingest import decode_image
from clearsight.types import FaceDetections

__all__ = ["CENTRE_BOX_FRACTION", "FaceRecipe", "ImageJob", "ImageOutcome", "process_image"]

# Side of the fallback box as a share of the image's shorter side: the median HOG box on LFW's
# 250x250 deep-funneled images is about 107 px wide and centred.
CENTRE_BOX_FRACTION = 0.43

Fallback = Literal["none", "cnn", "cnn+centre"]


@dataclass(frozen=True)
class FaceRecipe:
    """How a face is found in an evaluation image; part of every cache key."""

    upsample: int = 1
    min_face_size: int = 20
    fallback: Fallback = "cnn+centre"

    @property
    def key(self) -> str:
        return f"hog-u{self.upsample}-m{self.min_face_size}-centre-nearest/{self.fallback}/v1"


@dataclass(frozen=True)
class ImageJob:
    key: str
    name: str
    data: bytes
    recipe: FaceRecipe
    face: CachedFace | None
    views: tuple[str, ...]


@dataclass(frozen=True)
class ImageOutcome:
    key: str
    name: str
    face: CachedFace | None
    views: dict[str, npt.NDArray[np.float32]]
    error: str = ""


@functools.cache
def _detectors(recipe: FaceRecipe) -> tuple[FaceDetector, FaceDetector]:
    hog = HogFaceDetector(
        HogDetectorConfig(upsample=recipe.upsample, min_face_size=recipe.min_face_size)
    )
    cnn = CnnFaceDetector(
        CnnDetectorConfig(upsample=recipe.upsample, min_face_size=recipe.min_face_size)
    )
    return hog, cnn


@functools.cache
def _embedder() -> DlibResNetEmbedder:
    return DlibResNetEmbedder(mirror=False)


def _nearest_centre(detections: FaceDetections, shape: tuple[int, ...]) -> FaceDetections:
    centre_x = (detections.boxes[:, 0] + detections.boxes[:, 2]) / 2
    centre_y = (detections.boxes[:, 1] + detections.boxes[:, 3]) / 2
    distance = np.hypot(centre_x - shape[1] / 2, centre_y - shape[0] / 2)
    return detections[int(np.argmin(distance))]


def find_face(image: npt.NDArray[np.uint8], recipe: FaceRecipe) -> CachedFace:
    hog, cnn = _detectors(recipe)
    attempts: list[tuple[str, FaceDetector]] = [("hog", hog)]
    if recipe.fallback != "none":
        attempts.append(("cnn", cnn))
    for method, detector in attempts:
        found = detector.detect(image)
        if len(found):
            face = _nearest_centre(found, image.shape)
            return CachedFace(method, face.boxes[0].copy(), face.landmarks[0].copy())
    if recipe.fallback == "cnn+centre":
        height, width = image.shape[:2]
        side = CENTRE_BOX_FRACTION * min(height, width)
        box = np.array(
            [(width - side) / 2, (height - side) / 2, (width + side) / 2, (height + side) / 2],
            np.float32,
        )
        unlocated = FaceDetections(boxes=box[None], scores=np.zeros(1, np.float32))
        located = locate_landmarks(image, unlocated)
        return CachedFace("centre", box, located.landmarks[0].copy())
    return CachedFace("none", np.zeros(4, np.float32), np.zeros((5, 2), np.float32))


def _chip(image: npt.NDArray[np.uint8], face: CachedFace, padding: float) -> npt.NDArray[np.uint8]:
    detections = FaceDetections(
        boxes=face.box[None], scores=np.ones(1, np.float32), landmarks=face.landmarks[None]
    )
    if padding == 0.25:
        return align_chips(image, detections)[0]
    import dlib

    rect = dlib.rectangle(*(round(float(v)) for v in face.box))
    parts = dlib.points()
    for x, y in face.landmarks:
        parts.append(dlib.point(round(float(x)), round(float(y))))
    shape = dlib.full_object_detection(rect, parts)
    return np.asarray(dlib.get_face_chip(np.ascontiguousarray(image), shape, CHIP_SIZE, padding))


def view_chip(
    image: npt.NDArray[np.uint8], face: CachedFace, view: str
) -> npt.NDArray[np.uint8]:
    """The chip of one view: ``p25`` is dlib's padding 0.25, ``p25f`` the same mirrored."""
    flipped = view.endswith("f")
    try:
        padding = int(view[1:].rstrip("f")) / 100
    except ValueError as error:
        raise ValueError(f"unknown view {view!r}; use e.g. p25 or p25f") from error
    chip = _chip(image, face, padding)
    return np.ascontiguousarray(chip[:, ::-1] if flipped else chip)


def process_image(job: ImageJob) -> ImageOutcome:
    """Find the face (unless cached) and compute the missing views' descriptors."""
    try:
        image = decode_image(job.data, job.name)
    except ImageError as error:
        return ImageOutcome(job.key, job.name, None, {}, str(error))
    face = job.face or find_face(image, job.recipe)
    if face.method == "none" or not job.views:
        return ImageOutcome(job.key, job.name, face, {})
    chips = [view_chip(image, face, view) for view in job.views]
    vectors = _embedder().embed(chips)
    return ImageOutcome(job.key, job.name, face, dict(zip(job.views, vectors, strict=True)))
