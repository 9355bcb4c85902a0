from __future__ import annotations

from clearsight.config import EmbedConfig
from clearsight.embed._base import Embedder
from clearsight.embed._dlib import DlibResNetEmbedder
from clearsight.embed._onnx_resnet import OnnxResNetEmbedder
from clearsight.embed._sface import SFaceEmbedder
from clearsight.errors import ConfigError


def create_embedder(config: EmbedConfig | None = None) -> Embedder:
    """The embedder ``config.type`` names: SFace (default) or dlib's ResNet (``runtime``
    onnx or dlib); an ONNX file (``onnx-file``) is built by clearsight.backends."""
    config = config or EmbedConfig()
    if config.type == "onnx-file":
        raise ConfigError(
            'embed.type "onnx-file" runs an ONNX embedder file: build it with '
            "clearsight.backends.create_embedder_from_config"
        )
    if config.type == "sface":
        return SFaceEmbedder(mirror=config.mirror, threads=config.threads)
    if config.runtime == "dlib":
        return DlibResNetEmbedder(mirror=config.mirror)
    return OnnxResNetEmbedder(mirror=config.mirror, threads=config.threads)
