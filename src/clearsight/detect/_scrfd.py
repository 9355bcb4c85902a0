"""An SCRFD-format face detector run by ONNX Runtime (InsightFace's output layout).

The model reads one letterboxed (1, 3, H, W) image, RGB, ``(pixel - 127.5) / 128``, and
returns nine tensors: per stride 8, 16 and 32 a score (A, 1), box distances (A, 4) and
five-point landmark offsets (A, 10), with two anchors per feature-map cell. Distances and
offsets are in units of the stride from each anchor centre. Landmarks follow InsightFace:
left eye, right eye, nose tip, left and right mouth corner (as seen in the image).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from clearsight.detect._base import DetectorSettings, FaceDetector
from clearsight.errors import ModelError
from clearsight.models import OnnxModelFile, open_model_file
from clearsight.types import FaceDetections

__all__ = [
    "ScrfdDetector",
    "ScrfdDetectorConfig",
    "anchor_centres",
    "letterbox",
    "select_faces",
]

STRIDES = (8, 16, 32)
ANCHORS_PER_CELL = 2

FloatArray = npt.NDArray[np.float32]


class ScrfdDetectorConfig(DetectorSettings):
    type: Literal["scrfd"] = Field(
        "scrfd",
        title="Detector type",
        description="An SCRFD-format ONNX face detector from a file you supply (InsightFace "
        'landmarks; pair it with an ONNX embedder, `embed.type = "onnx-file"`).',
    )
    model: OnnxModelFile = Field(title="Model", description="An SCRFD-format face detector.")
    input_size: tuple[int, int] = Field(
        (640, 640),
        title="Input size (width, height)",
        description="Frames are letterboxed into this size; multiples of 32.",
    )
    min_score: float = Field(
        0.5, gt=0, lt=1, title="Minimum score", description="Detections scored lower are dropped."
    )
    nms_iou: float = Field(
        0.4, gt=0, lt=1, title="NMS overlap", description="Boxes overlapping more are merged."
    )
    min_face_size: int = Field(
        40, ge=8, title="Minimum face size (px)", description="Narrower faces are ignored."
    )

    landmark_scheme: ClassVar[str] = "insightface"
    """The five landmarks this detector gives (InsightFace's order)."""
    searches_reference_photos: ClassVar[bool] = True
    """The model the user chose reads reference photos too."""


def anchor_centres(width: int, height: int, stride: int) -> FloatArray:
    """(cells x anchors, 2) x, y centres of one stride's anchors, row-major, anchors adjacent."""
    ys, xs = np.mgrid[: height // stride, : width // stride]
    centres = np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float32) * stride
    return np.repeat(centres, ANCHORS_PER_CELL, axis=0)


def letterbox(
    image: npt.NDArray[np.uint8], width: int, height: int
) -> tuple[npt.NDArray[np.uint8], float]:
    """``image`` scaled to fit (top-left) in a black width x height canvas, and the scale."""
    import cv2  # imported with the model, not with its settings

    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(
        image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    )
    canvas = np.zeros((height, width, 3), np.uint8)
    canvas[: resized.shape[0], : resized.shape[1]] = resized
    return canvas, scale


class ScrfdDetector(FaceDetector):
    """Finds faces with an SCRFD-format ONNX model; the file is checked by SHA-256 first."""

    landmark_scheme = ScrfdDetectorConfig.landmark_scheme

    def __init__(self, config: ScrfdDetectorConfig) -> None:
        width, height = config.input_size
        if width % 32 or height % 32:
            raise ModelError(
                f"{config.model.path}: input size {config.input_size} not multiples of 32"
            )
        self._config = config
        self._session: Any = None

    def _outputs(self, blob: FloatArray) -> list[FloatArray]:
        if self._session is None:
            self._session = open_model_file(self._config.model)
            self._check_input_size()
        name = self._session.get_inputs()[0].name
        raw = [np.asarray(o, np.float32) for o in self._session.run(None, {name: blob})]
        if len(raw) != 3 * len(STRIDES):
            raise ModelError(
                f"{self._config.model.path}: {len(raw)} outputs; an SCRFD model has 9 "
                "(score, box, landmarks at strides 8, 16, 32)"
            )
        return [o.reshape(-1, o.shape[-1]) for o in raw]

    def _check_input_size(self) -> None:
        """A model exported for one input size takes no other: say so, with the fix."""
        shape = self._session.get_inputs()[0].shape
        fixed = [d if isinstance(d, int) else None for d in shape[2:]]
        width, height = self._config.input_size
        if len(fixed) == 2 and None not in fixed and (fixed[1], fixed[0]) != (width, height):
            raise ModelError(
                f"{self._config.model.path}: the model takes {fixed[1]}x{fixed[0]} input "
                f"only; set detector.input_size = [{fixed[1]}, {fixed[0]}] (it is "
                f"[{width}, {height}])"
            )

    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        width, height = self._config.input_size
        canvas, scale = letterbox(image, width, height)
        blob = ((canvas.astype(np.float32) - 127.5) / 128.0).transpose(2, 0, 1)[None]
        outputs = self._outputs(np.ascontiguousarray(blob))
        boxes, scores, points = [], [], []
        for level, stride in enumerate(STRIDES):
            score, distance, offsets = (outputs[level + i * len(STRIDES)] for i in range(3))
            centres = anchor_centres(width, height, stride)
            if (len(score), distance.shape[1], offsets.shape[1]) != (len(centres), 4, 10):
                raise ModelError(
                    f"{self._config.model.path}: stride {stride} outputs {score.shape}, "
                    f"{distance.shape}, {offsets.shape} do not fit a {width}x{height} input"
                )
            keep = score[:, 0] >= self._config.min_score
            centre = centres[keep]
            step = distance[keep] * stride
            boxes.append(np.hstack([centre - step[:, :2], centre + step[:, 2:]]))
            points.append(centre[:, None, :] + offsets[keep].reshape(-1, 5, 2) * stride)
            scores.append(score[keep, 0])
        return select_faces(
            (np.vstack(boxes) / scale).astype(np.float32),
            np.concatenate(scores).astype(np.float32),
            (np.vstack(points) / scale).astype(np.float32),
            image.shape,
            min_score=self._config.min_score,
            nms_iou=self._config.nms_iou,
            min_face_size=self._config.min_face_size,
        )


def select_faces(
    boxes: FloatArray,
    scores: FloatArray,
    points: FloatArray,
    shape: tuple[int, ...],
    *,
    min_score: float,
    nms_iou: float,
    min_face_size: int,
) -> FaceDetections:
    """Decoded candidates (image pixels) clipped to an image of ``shape``, merged by NMS,
    best first, without those narrower than ``min_face_size``."""
    import cv2  # imported with the model, not with its settings

    if len(boxes) == 0:
        return FaceDetections.empty()
    height, width = shape[:2]
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, width - 1)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, height - 1)
    xywh = np.hstack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]]).tolist()
    kept = cv2.dnn.NMSBoxes(xywh, scores.tolist(), min_score, nms_iou)
    order = np.asarray(kept, np.int64).reshape(-1)
    order = order[np.argsort(-scores[order], kind="stable")]
    found = FaceDetections(boxes=boxes[order], scores=scores[order], landmarks=points[order])
    return found[found.widths >= min_face_size]
