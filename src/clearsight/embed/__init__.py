"""Alignment and embedding: aligned chips in, L2-normalised templates out (SFace by default,
dlib's ResNet selectable)."""

from clearsight.embed._align import ARCFACE_POINTS, CHIP_SIZE, align_chips, arcface_chips
from clearsight.embed._base import Embedder
from clearsight.embed._dlib import DLIB_RESNET_MODEL_ID, DlibResNetEmbedder
from clearsight.embed._factory import create_embedder
from clearsight.embed._onnx_cache import (
    cached_conversion,
    cached_onnx_resnet,
    convert_dlib_resnet,
    default_cache_dir,
)
from clearsight.embed._onnx_resnet import OnnxResNetEmbedder
from clearsight.embed._sface import SFACE_MODEL_ID, SFaceEmbedder, fold_sface

__all__ = [
    "ARCFACE_POINTS",
    "CHIP_SIZE",
    "DLIB_RESNET_MODEL_ID",
    "SFACE_MODEL_ID",
    "DlibResNetEmbedder",
    "Embedder",
    "OnnxResNetEmbedder",
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
