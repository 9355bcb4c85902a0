"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1``), selectable
with ``[embed] type = "dlib"``: run by dlib itself, the reference, or its weights through
ONNX Runtime (``OnnxResNetEmbedder``, the same embeddings about 20 times cheaper)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from clearsight.embed._base import Embedder, MirroredEmbedder, MirroredEmbedderSettings
from clearsight.embed._dlib_dat import DLIB_RESNET_MODEL_ID
from clearsight.embed._onnx_resnet import OnnxResNetEmbedder
from clearsight.models import load_resnet

__all__ = ["DlibResNetEmbedConfig", "DlibResNetEmbedder", "create_dlib_resnet"]


class DlibResNetEmbedConfig(MirroredEmbedderSettings):
    type: Literal["dlib"] = Field(
        "dlib",
        title="Embedding model",
        description="`dlib`: dlib's ResNet (pairs with the `hog` or `cnn` detector; `runtime` "
        "picks how it runs). Templates of one model never match another's: a watchlist "
        "enrolled with another model must be re-embedded (`clearsight watchlist reembed`).",
    )
    runtime: Literal["onnx", "dlib"] = Field(
        "onnx",
        title="dlib ResNet runtime",
        description="`onnx` runs dlib's ResNet weights through ONNX Runtime (same embeddings "
        "within 1e-12 cosine, about 20 times cheaper); `dlib` runs dlib itself, the reference.",
    )

    landmark_scheme: ClassVar[str] = "dlib"
    """dlib's chips are cut from its own five landmarks (eye corners, nose base)."""


class DlibResNetEmbedder(MirroredEmbedder):
    """dlib's 128-D ResNet run by dlib, the reference model.

    With ``mirror`` each chip's descriptor is averaged with its mirror image's: measured on LFW
    this lifts accuracy from 98.75% to about 99.05% for twice the cost.
    """

    dimensions = 128
    landmark_scheme = DlibResNetEmbedConfig.landmark_scheme

    def __init__(self, mirror: bool = True) -> None:
        self.mirror = mirror
        self.model_id = DLIB_RESNET_MODEL_ID

    def _embed(
        self, chips: Sequence[npt.NDArray[np.uint8]], mirror: bool
    ) -> npt.NDArray[np.float32]:
        if not chips:
            return np.zeros((0, self.dimensions), np.float32)
        model = load_resnet()
        batch = [np.ascontiguousarray(chip) for chip in chips]
        vectors = np.asarray(model.compute_face_descriptor(batch), np.float32)
        if mirror:
            mirrored = [np.ascontiguousarray(chip[:, ::-1]) for chip in chips]
            vectors = vectors + np.asarray(model.compute_face_descriptor(mirrored), np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalised: npt.NDArray[np.float32] = (vectors / norms).astype(np.float32)
        return normalised


def create_dlib_resnet(config: DlibResNetEmbedConfig) -> Embedder:
    """dlib's ResNet on the runtime ``config.runtime`` names."""
    if config.runtime == "dlib":
        return DlibResNetEmbedder(mirror=config.mirror)
    return OnnxResNetEmbedder(mirror=config.mirror, threads=config.threads)
