from __future__ import annotations

from clearsight.config import EmbedConfig
from clearsight.embed._base import Embedder
from clearsight.embed._dlib import DlibResNetEmbedder
from clearsight.embed._onnx_resnet import OnnxResNetEmbedder


def create_embedder(config: EmbedConfig | None = None) -> Embedder:
    """The embedder the config names; both compute dlib's ResNet (model id dlib-resnet-v1)."""
    config = config or EmbedConfig()
    if config.runtime == "dlib":
        return DlibResNetEmbedder(mirror=config.mirror)
    return OnnxResNetEmbedder(mirror=config.mirror, threads=config.threads)
