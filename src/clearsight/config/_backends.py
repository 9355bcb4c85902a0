"""Settings of the optional ONNX model backends (run by ``clearsight.backends``).

They live here so the main config can name them (``detector.type = "scrfd"``,
``embed.runtime = "model"``); ``clearsight.backends`` re-exports them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The validation context key ``load_config`` sets to the config file's folder.
CONFIG_DIR = "config_dir"


def _from_config_dir(path: Path, info: ValidationInfo) -> Path:
    """``~`` expanded; a relative path read from the config file's folder when there is one
    (a file that names ``models/x.onnx`` means the one beside it, wherever the command runs)."""
    path = path.expanduser()
    folder = (info.context or {}).get(CONFIG_DIR)
    if path.is_absolute() or folder is None:
        return path
    return Path(folder) / path


class OnnxModelFile(_Section):
    path: Path = Field(
        title="Model file",
        description="The .onnx file you downloaded (a relative path is read from the config "
        "file's folder); clearsight never downloads models itself.",
    )
    sha256: str = Field(
        pattern=r"^[0-9a-fA-F]{64}$",
        title="Expected SHA-256",
        description="Hex digest the file must have; a file that differs is refused unloaded.",
    )
    threads: int = Field(
        1,
        ge=1,
        le=64,
        title="Inference threads",
        description="ONNX Runtime intra-op threads; one per camera worker keeps cores for others.",
    )

    @field_validator("path")
    @classmethod
    def _relative_to_config(cls, path: Path, info: ValidationInfo) -> Path:
        return _from_config_dir(path, info)


class ScrfdDetectorConfig(_Section):
    type: Literal["scrfd"] = Field(
        "scrfd",
        title="Detector type",
        description="An SCRFD-format ONNX face detector from a file you supply (InsightFace "
        'landmarks; pair it with an ONNX embedder, `embed.runtime = "model"`).',
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

    @property
    def landmark_scheme(self) -> str:
        """The five landmarks this detector gives (InsightFace's order)."""
        return "insightface"


class OnnxEmbedderConfig(_Section):
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
        return _from_config_dir(card, info)

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
