"""Alignment and embedding: aligned chips in, L2-normalised templates out. Embedders are
plugins chosen by the config's ``[embed] type`` through ``EMBEDDERS`` (SFace by default;
dlib's ResNet; an ArcFace-style ONNX file the user supplies), each one module holding its
settings class and its implementation."""

from clearsight.embed._align import ARCFACE_POINTS, CHIP_SIZE, align_chips, arcface_chips
from clearsight.embed._arcface_onnx import OnnxEmbedder, OnnxEmbedderConfig, OnnxFileEmbedConfig
from clearsight.embed._base import Embedder, EmbedderSettings, MirroredEmbedderSettings
from clearsight.embed._dlib_dat import DLIB_RESNET_MODEL_ID
from clearsight.embed._dlib_resnet import DlibResNetEmbedConfig, DlibResNetEmbedder
from clearsight.embed._onnx_cache import (
    cached_conversion,
    cached_onnx_resnet,
    convert_dlib_resnet,
    default_cache_dir,
)
from clearsight.embed._onnx_resnet import OnnxResNetEmbedder
from clearsight.embed._registry import EMBEDDERS, create_embedder
from clearsight.embed._sface import SFACE_MODEL_ID, SFaceEmbedConfig, SFaceEmbedder, fold_sface

__all__ = [
    "ARCFACE_POINTS",
    "CHIP_SIZE",
    "DLIB_RESNET_MODEL_ID",
    "EMBEDDERS",
    "SFACE_MODEL_ID",
    "DlibResNetEmbedConfig",
    "DlibResNetEmbedder",
    "Embedder",
    "EmbedderSettings",
    "MirroredEmbedderSettings",
    "OnnxEmbedder",
    "OnnxEmbedderConfig",
    "OnnxFileEmbedConfig",
    "OnnxResNetEmbedder",
    "SFaceEmbedConfig",
    "SFaceEmbedder",
    "align_chips",
    "arcface_chips",
    "cached_conversion",
    "cached_onnx_resnet",
    "convert_dlib_resnet",
    "create_embedder",
    "default_cache_dir",
    "fold_sface",
]
