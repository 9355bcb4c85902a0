"""An ArcFace/SFace-style embedder from an ONNX file the user supplies (``[embed] type =
"onnx-file"``), run by ONNX Runtime, with its own calibration card.

Such models read a 112x112 chip aligned by a similarity transform of five landmarks (left
eye, right eye, nose tip, mouth corners: the InsightFace order an SCRFD detector gives) to
the ArcFace reference points, and return one vector per chip, which is L2-normalised here.
dlib's five landmarks are eye corners and the nose base, so they do not fit this alignment:
pair these embedders with YuNet or an SCRFD detector.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from clearsight.embed._align import arcface_chips
from clearsight.embed._base import Embedder, EmbedderSettings
from clearsight.errors import ModelError
from clearsight.models import OnnxModelFile, open_model_file, path_from_config_dir
from clearsight.types import FaceDetections

__all__ = ["OnnxEmbedder", "OnnxEmbedderConfig", "OnnxFileEmbedConfig"]


class OnnxEmbedderConfig(BaseModel):
    """An ArcFace/SFace-style ONNX embedder file, its model id and calibration card."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: OnnxModelFile = Field(title="Model", description="An ArcFace/SFace-style embedder.")
    model_id: str = Field(
        min_length=1,
        title="Model id",
        description="Name stored with every template (e.g. `sface-2021dec`); galleries and "
        "calibration cards of another id are refused.",
    )
    card: Path = Field(
        title="Calibration card",
        description="JSON card measured for this model (`clearsight.match.build_card` from its "
        "mated and impostor scores); its model id must equal `model_id`. Thresholds of one "
        "model mean nothing for another. A relative path is read from the config file's folder.",
    )

    @field_validator("card")
    @classmethod
    def _card_relative_to_config(cls, card: Path, info: ValidationInfo) -> Path:
        return path_from_config_dir(card, info)

    input_size: int = Field(
        112, ge=32, title="Chip size (px)", description="Square aligned chip the model reads."
    )
    mean: float = Field(
        127.5, title="Pixel mean", description="Subtracted from each 0-255 pixel value."
    )
    std: float = Field(
        127.5, gt=0, title="Pixel scale", description="Divides each pixel after the mean."
    )
    rgb: bool = Field(
        True,
        title="RGB channel order",
        description="True feeds RGB (InsightFace ArcFace, OpenCV SFace via blobFromImage "
        "swapRB); False feeds BGR.",
    )


class OnnxFileEmbedConfig(EmbedderSettings):
    type: Literal["onnx-file"] = Field(
        "onnx-file",
        title="Embedding model",
        description="`onnx-file`: the ArcFace/SFace-style ONNX file named in `embed.model` "
        "(pairs with the `yunet` or `scrfd` detector). Templates of one model never match "
        "another's: a watchlist enrolled with another model must be re-embedded "
        "(`clearsight watchlist reembed`).",
    )
    model: OnnxEmbedderConfig = Field(
        title="ONNX embedder file",
        description="The ArcFace/SFace-style model this type runs: its file and SHA-256, "
        "model id and calibration card (its threads are `embed.model.model.threads`).",
    )

    landmark_scheme: ClassVar[str] = "insightface"
    """Chips are aligned to the ArcFace points from InsightFace's five landmarks."""

    @model_validator(mode="before")
    @classmethod
    def _model_section_given(cls, data: object) -> object:
        if isinstance(data, dict) and "model" not in data:
            raise ValueError(
                'type "onnx-file" needs an [embed.model] section naming the ONNX embedder file'
            )
        return data


class OnnxEmbedder(Embedder):
    """Chips in, L2-normalised templates out; the model file is checked by SHA-256 first."""

    landmark_scheme = OnnxFileEmbedConfig.landmark_scheme

    def __init__(self, config: OnnxEmbedderConfig) -> None:
        self.model_id = config.model_id
        self._config = config
        self._session: Any = None
        self.dimensions = 0  # known once the model is loaded

    def load(self) -> None:
        """Verify and open the model now rather than on the first chip."""
        if self._session is not None:
            return
        session = open_model_file(self._config.model)
        shape = session.get_outputs()[0].shape
        if len(shape) != 2 or not isinstance(shape[1], int):
            raise ModelError(f"{self._config.model.path}: output shape {shape} is not (N, D)")
        self.dimensions = int(shape[1])
        self._session = session

    @classmethod
    def from_config(cls, config: OnnxFileEmbedConfig) -> OnnxEmbedder:
        return cls(config.model)

    def card_file(self) -> Path:
        return self._config.card

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
