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
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from clearsight.config import CnnDetectorConfig, HogDetectorConfig
from clearsight.detect import CnnFaceDetector, FaceDetector, HogFaceDetector, locate_landmarks
from clearsight.embed import CHIP_SIZE, Embedder, OnnxResNetEmbedder, align_chips
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
def _embedder() -> Embedder:
    # dlib's ResNet through ONNX Runtime: the same weights and descriptors (to 1e-12 in cosine),
    # about 20 times faster than dlib-bin; one thread, since each worker process has one core.
    return OnnxResNetEmbedder(mirror=False, threads=1)


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


def _chip(
    image: npt.NDArray[np.uint8],
    box: npt.NDArray[np.float32],
    landmarks: npt.NDArray[np.float32],
    padding: float,
) -> npt.NDArray[np.uint8]:
    if padding == 0.25:
        detections = FaceDetections(
            boxes=box[None], scores=np.ones(1, np.float32), landmarks=landmarks[None]
        )
        return align_chips(image, detections)[0]
    import dlib

    rect = dlib.rectangle(*(round(float(v)) for v in box))
    parts = dlib.points()
    for x, y in landmarks:
        parts.append(dlib.point(round(float(x)), round(float(y))))
    shape = dlib.full_object_detection(rect, parts)
    return np.asarray(dlib.get_face_chip(np.ascontiguousarray(image), shape, CHIP_SIZE, padding))


def _jittered(face: CachedFace, number: int) -> tuple[npt.NDArray[np.float32], float, bool]:
    """Landmarks rotated (up to 3 degrees) and shifted (up to 2% of the face), a padding of
    0.21-0.29 and a mirror on odd numbers: a small, seeded version of dlib's jitter."""
    rng = np.random.default_rng(number)
    angle = np.deg2rad(rng.uniform(-3.0, 3.0))
    width = float(face.box[2] - face.box[0])
    shift = rng.uniform(-0.02, 0.02, 2) * width
    padding = round(float(rng.uniform(0.21, 0.29)), 3)
    centre = face.landmarks.mean(axis=0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (face.landmarks - centre) @ rotation.T + centre + shift
    return moved.astype(np.float32), padding, number % 2 == 1


@functools.cache
def _shape_predictor_68() -> Any:
    import dlib
    import face_recognition_models

    return dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())


def _chip_68(image: npt.NDArray[np.uint8], box: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    """dlib's chip aligned from its 68-point predictor in the same box (a second alignment)."""
    import dlib

    rect = dlib.rectangle(*(round(float(v)) for v in box))
    shape = _shape_predictor_68()(np.ascontiguousarray(image), rect)
    return np.asarray(dlib.get_face_chip(np.ascontiguousarray(image), shape, CHIP_SIZE, 0.25))


def view_chip(image: npt.NDArray[np.uint8], face: CachedFace, view: str) -> npt.NDArray[np.uint8]:
    """The chip of one view: ``p25`` is dlib's padding 0.25, ``p25f`` the same mirrored,
    ``jN`` the N-th seeded jitter (odd N mirrored), ``a68``/``a68f`` the chip aligned from
    68 landmarks (and mirrored)."""
    if view in ("a68", "a68f"):
        chip = _chip_68(image, face.box)
        return np.ascontiguousarray(chip[:, ::-1] if view == "a68f" else chip)
    try:
        if view.startswith("j"):
            landmarks, padding, flipped = _jittered(face, int(view[1:]))
        elif view.startswith("p"):
            landmarks, flipped = face.landmarks, view.endswith("f")
            padding = int(view[1:].rstrip("f")) / 100
        else:
            raise ValueError(view)
    except ValueError as error:
        raise ValueError(f"unknown view {view!r}; use e.g. p25, p25f or j3") from error
    chip = _chip(image, face.box, landmarks, padding)
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
