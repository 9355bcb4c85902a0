"""The embedders a config's ``[embed] type`` can name, and the factory that builds them.

Each embedder is one module holding its settings class and its implementation; this list is
where it is registered (first of a landmark scheme first: error messages suggest it). The
config union ``clearsight.config`` validates against is read from ``EMBEDDERS`` too.
"""

from __future__ import annotations

from typing import Any

from clearsight.embed._arcface_onnx import OnnxEmbedder, OnnxFileEmbedConfig
from clearsight.embed._base import Embedder, EmbedderSettings
from clearsight.embed._dlib_resnet import DlibResNetEmbedConfig, create_dlib_resnet
from clearsight.embed._sface import SFaceEmbedConfig, SFaceEmbedder
from clearsight.plugins import PluginRegistry

__all__ = ["EMBEDDERS", "create_embedder"]

_ONE_TABLE_SETTINGS = frozenset({"runtime", "threads", "mirror"})
"""Settings every embedder accepted when ``[embed]`` was one table for all of them."""


def _embed_section_as_written(data: dict[str, Any]) -> dict[str, Any]:
    """An ``[embed]`` table as users write it, made to name its ``type``."""
    if "type" not in data:
        # Before SFace became the default, `runtime` chose among dlib's ResNet ("onnx",
        # "dlib") and an ONNX file ("model"); such configs keep their meaning.
        runtime = data.get("runtime")
        if runtime == "model":
            del data["runtime"]
            data["type"] = "onnx-file"
        else:
            data["type"] = EMBEDDERS.default if runtime is None else "dlib"
    chosen = EMBEDDERS.settings_class(str(data["type"]))
    for key in [key for key in data if key not in chosen.model_fields]:
        owners = [
            other
            for other in EMBEDDERS.types()
            if key in EMBEDDERS.settings_class(other).model_fields
        ]
        if key in _ONE_TABLE_SETTINGS or (owners and data[key] is None):
            # Accepted and unused when [embed] was one table (and in files saved then).
            del data[key]
        elif owners:
            raise ValueError(
                f'embed.{key} is set but type is "{data["type"]}"; set type = "{owners[0]}" '
                f"to use it, or remove embed.{key}"
            )
    return data


EMBEDDERS: PluginRegistry[EmbedderSettings, Embedder] = PluginRegistry(
    "embedder", default="sface", read_section=_embed_section_as_written
)
EMBEDDERS.register(SFaceEmbedConfig, SFaceEmbedder.from_config)
EMBEDDERS.register(DlibResNetEmbedConfig, create_dlib_resnet)
EMBEDDERS.register(OnnxFileEmbedConfig, OnnxEmbedder.from_config)


def create_embedder(config: EmbedderSettings | None = None) -> Embedder:
    """The embedder ``config.type`` names (default: SFace); models load on first use."""
    return EMBEDDERS.create(config if config is not None else EMBEDDERS.default_settings())
