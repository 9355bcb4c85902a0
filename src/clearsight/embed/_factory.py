from __future__ import annotations

from clearsight.config import EmbedConfig
from clearsight.embed._base import Embedder
from clearsight.embed._dlib import DlibResNetEmbedder
from clearsight.embed._onnx_resnet import OnnxResNetEmbedder
from clearsight.errors import ConfigError


def create_embedder(config: EmbedConfig | None = None) -> Embedder:
    """The dlib ResNet embedder the config names; both compute dlib's ResNet (model id dlib-resnet-v1)."""
    config = config or EmbedConfig()
    if config.runtime == "model":
        raise ConfigError(
            'embed.runtime "model" runs an ONNX embedder file: build it with '
            "clearsight.backends.create_embedder_from_config"
        )
    if config.runtime == "dlib":
        return DlibResNetEmbedder(mirror=config.mirror)
    return OnnxResNetEmbedder(mirror=config.mirror, threads=config.threads)
