"""A RetinaFace-format face detector run by ONNX Runtime (biubug6/Pytorch_Retinaface's layout).

The model reads one (1, 3, H, W) image, BGR, ``pixel - (104, 117, 123)``, of any size, and
returns three tensors over every prior: box offsets (N, 4), class scores after softmax
(N, 2; column 1 is "face") and five-point landmark offsets (N, 10). Priors are laid out per
stride 8, 16 and 32, row-major over the feature-map cells, with two square priors per cell
(16 and 32 px at stride 8, 64 and 128 at 16, 256 and 512 at 32) centred on the cell. Offsets
are SSD-style: centres and landmarks move by ``0.1 * offset * prior size``, sizes scale by
``exp(0.2 * offset)``. Landmarks are the left eye, right eye, nose tip, left and right mouth
corner as seen in the image: InsightFace's order (RetinaFace is InsightFace's detector).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from clearsight.detect._base import DetectorSettings, FaceDetector
from clearsight.detect._resize import shrink_image
from clearsight.detect._scrfd import select_faces
from clearsight.errors import ModelError
from clearsight.models import OnnxModelFile, open_model_file
from clearsight.types import FaceDetections

__all__ = [
    "RetinafaceDetector",
    "RetinafaceDetectorConfig",
    "decode_retinaface",
    "retinaface_priors",
]

STRIDES = (8, 16, 32)
PRIOR_SIZES = ((16, 32), (64, 128), (256, 512))
CENTRE_VARIANCE = 0.1
SIZE_VARIANCE = 0.2
# The per-channel means (B, G, R) the networks were trained with (biubug6's ``rgb_mean``).
BGR_MEAN = np.array([104.0, 117.0, 123.0], np.float32)
# Inputs are padded to a multiple of the coarsest stride, so that every stride's feature
# map is a whole number of cells and the upsampled FPN maps line up.
ALIGN = 32

FloatArray = npt.NDArray[np.float32]


class RetinafaceDetectorConfig(DetectorSettings):
    type: Literal["retinaface"] = Field(
        "retinaface",
        title="Detector type",
        description="A RetinaFace-format ONNX face detector from a file you supply "
        "(biubug6/Pytorch_Retinaface's outputs, e.g. its MobileNet-0.25 model; InsightFace "
        'landmarks; pair it with SFace or an ONNX embedder, `embed.type = "onnx-file"`).',
    )
    model: OnnxModelFile = Field(
        title="Model", description="A RetinaFace-format face detector (dynamic input size)."
    )
    max_width: int = Field(
        960,
        ge=160,
        title="Detection width (px)",
        description="Frames wider than this are downscaled before detection and boxes mapped "
        "back (at 960 a 1080p frame is searched at half size); lower is faster and misses "
        "smaller faces.",
    )
    min_score: float = Field(
        0.6, gt=0, lt=1, title="Minimum score", description="Detections scored lower are dropped."
    )
    nms_iou: float = Field(
        0.4, gt=0, lt=1, title="NMS overlap", description="Boxes overlapping more are merged."
    )
    min_face_size: int = Field(
        16,
        ge=4,
        title="Minimum face size (px)",
        description="Faces narrower than this in the original frame are ignored.",
    )

    landmark_scheme: ClassVar[str] = "insightface"
    """The five landmarks this detector gives (InsightFace's order)."""
    searches_reference_photos: ClassVar[bool] = True
    """The model the user chose reads reference photos too."""


def retinaface_priors(width: int, height: int) -> FloatArray:
    """(N, 3) centre x, centre y and size in pixels of every prior of a width x height input,
    in the model's output order: stride by stride, cells row-major, a cell's sizes adjacent."""
    levels = []
    for stride, sizes in zip(STRIDES, PRIOR_SIZES, strict=True):
        ys, xs = np.mgrid[: math.ceil(height / stride), : math.ceil(width / stride)]
        centres = (np.stack([xs, ys], axis=-1).reshape(-1, 2) + 0.5) * stride
        cells = np.repeat(centres, len(sizes), axis=0)
        side = np.tile(np.asarray(sizes, np.float64), len(centres))
        levels.append(np.column_stack([cells, side]))
    return np.vstack(levels).astype(np.float32)


def decode_retinaface(
    offsets: FloatArray, landmark_offsets: FloatArray, prior: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(N, 4) x1, y1, x2, y2 boxes and (N, 5, 2) landmarks, in input pixels, from the model's
    (N, 4) box and (N, 10) landmark offsets against ``prior`` (``retinaface_priors``' rows)."""
    centre, side = prior[:, :2], prior[:, 2:3]
    middle = centre + offsets[:, :2] * CENTRE_VARIANCE * side
    size = side * np.exp(offsets[:, 2:] * SIZE_VARIANCE)
    boxes = np.hstack([middle - size / 2, middle + size / 2])
    points = centre[:, None, :] + landmark_offsets.reshape(-1, 5, 2) * (
        CENTRE_VARIANCE * side[:, :, None]
    )
    return boxes.astype(np.float32), points.astype(np.float32)


class RetinafaceDetector(FaceDetector):
    """Finds faces with a RetinaFace-format ONNX model; the file is checked by SHA-256 first."""

    landmark_scheme = RetinafaceDetectorConfig.landmark_scheme

    def __init__(self, config: RetinafaceDetectorConfig) -> None:
        self._config = config
        self._session: Any = None
        self._priors: dict[tuple[int, int], FloatArray] = {}

    def _blob(self, image: npt.NDArray[np.uint8]) -> tuple[FloatArray, float]:
        """The network input for ``image`` (shrunk to ``max_width``, padded with the mean
        colour, which is zero after subtraction, as the network's own padding is) and the
        factor from its pixels back to the image's."""
        height, width = image.shape[:2]
        factor = 1.0
        if width > self._config.max_width:
            factor = width / self._config.max_width
            image = shrink_image(image, self._config.max_width, max(1, round(height / factor)))
        small_height, small_width = image.shape[:2]
        padded = np.zeros(
            (3, -(-small_height // ALIGN) * ALIGN, -(-small_width // ALIGN) * ALIGN), np.float32
        )
        bgr = image[:, :, ::-1].astype(np.float32) - BGR_MEAN
        padded[:, :small_height, :small_width] = bgr.transpose(2, 0, 1)
        return padded[None], factor

    def _outputs(self, blob: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        if self._session is None:
            self._session = open_model_file(self._config.model)
        name = self._session.get_inputs()[0].name
        raw = [np.asarray(o, np.float32) for o in self._session.run(None, {name: blob})]
        shapes = [o.shape[-1] for o in raw]
        if len(raw) != 3 or shapes != [4, 2, 10]:
            raise ModelError(
                f"{self._config.model.path}: outputs of widths {shapes}; a RetinaFace model "
                "has 3 (box offsets 4, scores 2, landmarks 10)"
            )
        offsets, scores, landmarks = (o.reshape(-1, o.shape[-1]) for o in raw)
        return offsets, scores, landmarks

    def _priors_for(self, width: int, height: int) -> FloatArray:
        key = (width, height)
        if key not in self._priors:
            # A camera's frames share one size: keep the last size's priors only.
            self._priors = {key: retinaface_priors(width, height)}
        return self._priors[key]

    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        blob, factor = self._blob(image)
        offsets, scores, landmark_offsets = self._outputs(blob)
        prior = self._priors_for(blob.shape[3], blob.shape[2])
        if len(prior) != len(scores):
            raise ModelError(
                f"{self._config.model.path}: {len(scores)} outputs for a "
                f"{blob.shape[3]}x{blob.shape[2]} input; RetinaFace's priors number {len(prior)}"
            )
        keep = scores[:, 1] >= self._config.min_score
        boxes, points = decode_retinaface(offsets[keep], landmark_offsets[keep], prior[keep])
        return select_faces(
            boxes * factor,
            scores[keep, 1].astype(np.float32),
            points * factor,
            image.shape,
            min_score=self._config.min_score,
            nms_iou=self._config.nms_iou,
            min_face_size=self._config.min_face_size,
        )
