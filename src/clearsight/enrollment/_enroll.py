from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearsight.config import HogDetectorConfig, QualityConfig, YunetDetectorConfig
from clearsight.detect import FaceDetector, HogFaceDetector, YunetFaceDetector
from clearsight.embed import Embedder, create_embedder
from clearsight.errors import ConfigError, EnrollmentError
from clearsight.quality import FaceQuality, assess_face
from clearsight.types import Embedding


@dataclass(frozen=True, eq=False)
class Face:
    """One face found in a photo: where it is, how usable it is, and its template."""

    box: tuple[float, float, float, float]
    """x1 y1 x2 y2 in pixels."""
    landmarks: npt.NDArray[np.float32]
    """(5, 2) x y points in the detector's landmark scheme (for YuNet, InsightFace's: the
    eye on the image's left, the other eye, the nose tip, the mouth corners)."""
    detection_score: float
    """The detector's confidence."""
    quality: FaceQuality
    """Size, sharpness and pose, and whether the face is usable (else the reason)."""
    embedding: Embedding
    """The face's template, to compare with another face's."""
    chip: npt.NDArray[np.uint8]
    """The aligned RGB chip the embedder read."""

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


@dataclass(frozen=True, eq=False)
class EnrolledFace:
    """A reference photo's template with the chip and crop it came from."""

    embedding: Embedding
    chip: npt.NDArray[np.uint8]
    crop: npt.NDArray[np.uint8]
    box: tuple[float, float, float, float]


REFERENCE_MIN_FACE_PX = 60
"""A reference photo's face must be at least this wide: every probe is compared with the
template it gives, so it is held to a higher bar than a camera's samples."""


def reference_detector(landmark_scheme: str) -> FaceDetector:
    """The detector for reference photos that gives ``landmark_scheme``'s landmarks.

    Reference photos are few and matter: they are searched at a larger size than a live
    camera's frames, for smaller faces."""
    if landmark_scheme == "dlib":
        return HogFaceDetector(HogDetectorConfig(upsample=1, min_face_size=20, max_width=2000))
    if landmark_scheme == "insightface":
        return YunetFaceDetector(YunetDetectorConfig(max_width=2000, min_face_size=20))
    raise ConfigError(f"no reference-photo detector gives {landmark_scheme} landmarks")


def find_faces(
    image: npt.NDArray[np.uint8],
    quality: QualityConfig | None = None,
    detector: FaceDetector | None = None,
    embedder: Embedder | None = None,
) -> list[Face]:
    """Every face in ``image`` with its quality under ``quality`` and its template.

    The chip is cut by the embedder (``Embedder.cut_chips``) from the detector's landmarks,
    so the two must use the same landmark scheme; without ``detector`` the reference-photo
    detector for the embedder's scheme is used (YuNet for SFace, dlib's HOG for dlib's ResNet).
    """
    quality = quality or QualityConfig()
    embedder = embedder or create_embedder()
    if detector is None:
        detector = reference_detector(embedder.landmark_scheme)
    if detector.landmark_scheme != embedder.landmark_scheme:
        raise ConfigError(
            f"the detector gives {detector.landmark_scheme} landmarks, the embedder "
            f"{embedder.model_id} cuts its chips from {embedder.landmark_scheme} landmarks"
        )
    detections = detector.detect(image)
    if len(detections) == 0:
        return []
    chips = embedder.cut_chips(image, detections)
    vectors = embedder.embed(chips)
    faces = []
    for index, (chip, vector) in enumerate(zip(chips, vectors, strict=True)):
        x1, y1, x2, y2 = (float(v) for v in detections.boxes[index])
        assessment = assess_face(
            float(detections.widths[index]),
            detections.landmarks[index],
            chip,
            quality,
            embedder.landmark_scheme,
        )
        faces.append(
            Face(
                box=(x1, y1, x2, y2),
                landmarks=detections.landmarks[index],
                detection_score=float(detections.scores[index]),
                quality=assessment,
                embedding=Embedding(vector, embedder.model_id),
                chip=chip,
            )
        )
    return faces


def enroll_face(
    image: npt.NDArray[np.uint8],
    name: str,
    quality: QualityConfig | None = None,
    detector: FaceDetector | None = None,
    embedder: Embedder | None = None,
) -> EnrolledFace:
    """Check that ``image`` holds exactly one usable face and return its template.

    ``name`` (the file name or upload name) goes into the error message. The detector and
    embedder are ``find_faces``'s; the face is held to a reference photo's size bar
    (``REFERENCE_MIN_FACE_PX``) whatever ``quality`` says.
    """
    quality = quality or QualityConfig()
    if quality.min_face_px < REFERENCE_MIN_FACE_PX:
        quality = QualityConfig.model_validate(
            {**quality.model_dump(), "min_face_px": REFERENCE_MIN_FACE_PX}
        )
    faces = find_faces(image, quality, detector, embedder)
    if not faces:
        raise EnrollmentError(f"{name}: no face found")
    if len(faces) > 1:
        raise EnrollmentError(
            f"{name}: {len(faces)} faces found; a reference photo must show exactly one person"
        )
    face = faces[0]
    if not face.quality.usable:
        raise EnrollmentError(f"{name}: {face.quality.reason}")
    x1, y1, x2, y2 = face.box
    pad_x, pad_y = 0.4 * (x2 - x1), 0.4 * (y2 - y1)
    crop = image[
        max(0, int(y1 - pad_y)) : int(y2 + pad_y) + 1, max(0, int(x1 - pad_x)) : int(x2 + pad_x) + 1
    ]
    return EnrolledFace(
        embedding=face.embedding, chip=face.chip, crop=np.ascontiguousarray(crop), box=face.box
    )
