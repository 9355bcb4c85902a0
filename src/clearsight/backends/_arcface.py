"""An ArcFace/SFace-style embedder run by ONNX Runtime, with its own calibration card.

Such models read a 112x112 chip aligned by a similarity transform of five landmarks (left
eye, right eye, nose tip, mouth corners: the InsightFace order an SCRFD detector gives) to
the ArcFace reference points, and return one vector per chip, which is L2-normalised here.
dlib's five landmarks are eye corners and the nose base, so they do not fit this alignment:
pair these embedders with ``ScrfdDetector``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from clearsight.backends._config import OnnxEmbedderConfig
from clearsight.backends._session import open_session
from clearsight.embed import Embedder, arcface_chips
from clearsight.errors import ModelError
from clearsight.match import CalibrationCard, model_card
from clearsight.types import FaceDetections


class OnnxEmbedder(Embedder):
    """Chips in, L2-normalised templates out; the model file is checked by SHA-256 first."""

    landmark_scheme = "insightface"

    def __init__(self, config: OnnxEmbedderConfig) -> None:
        self.model_id = config.model_id
        self._config = config
        self._session: Any = None
        self.dimensions = 0  # known once the model is loaded

    def load(self) -> None:
        """Verify and open the model now rather than on the first chip."""
        if self._session is not None:
            return
        session = open_session(self._config.model)
        shape = session.get_outputs()[0].shape
        if len(shape) != 2 or not isinstance(shape[1], int):
            raise ModelError(f"{self._config.model.path}: output shape {shape} is not (N, D)")
        self.dimensions = int(shape[1])
        self._session = session

    def card_file(self) -> Path:
        return self._config.card

    def card(self) -> CalibrationCard:
        """This model's calibration card; refused if it was measured for another model."""
        return model_card(self.model_id, self._config.card)

    def cut_chips(
        self, image: npt.NDArray[np.uint8], detections: FaceDetections
    ) -> list[npt.NDArray[np.uint8]]:
        """ArcFace-aligned chips of the configured size from InsightFace-order landmarks."""
        return arcface_chips(image, detections, self._config.input_size)

    def _blob(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        size = self._config.input_size
        batch = np.stack(
            [
                chip if chip.shape[:2] == (size, size) else cv2.resize(chip, (size, size))
                for chip in chips
            ]
        ).astype(np.float32)
        if not self._config.rgb:
            batch = batch[..., ::-1]
        batch = (batch - self._config.mean) / self._config.std
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)

    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        self.load()
        if not chips:
            return np.zeros((0, self.dimensions), np.float32)
        blob = self._blob(chips)
        name = self._session.get_inputs()[0].name
        fixed_batch = self._session.get_inputs()[0].shape[0] == 1
        parts = [blob[i : i + 1] for i in range(len(blob))] if fixed_batch else [blob]
        outputs = [np.asarray(self._session.run(None, {name: p})[0], np.float32) for p in parts]
        vectors: npt.NDArray[np.float32] = np.vstack(outputs)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if not bool(np.all(np.isfinite(norms) & (norms > 0))):
            raise ModelError(
                f"{self._config.model.path}: the model returned a zero or invalid vector"
            )
        unit: npt.NDArray[np.float32] = (vectors / norms).astype(np.float32)
        return unit
