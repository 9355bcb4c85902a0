"""Alignment and embedding: aligned 150x150 chips in, L2-normalised templates out."""

from clearsight.embed._align import CHIP_SIZE, align_chips
from clearsight.embed._base import Embedder
from clearsight.embed._dlib import DLIB_RESNET_MODEL_ID, DlibResNetEmbedder
from clearsight.embed._factory import create_embedder
from clearsight.embed._onnx_cache import (
    cached_onnx_resnet,
    convert_dlib_resnet,
    default_cache_dir,
)
from clearsight.embed._onnx_resnet import OnnxResNetEmbedder

__all__ = [
    "CHIP_SIZE",
    "DLIB_RESNET_MODEL_ID",
    "DlibResNetEmbedder",
    "Embedder",
    "OnnxResNetEmbedder",
    "align_chips",
    "cached_onnx_resnet",
    "convert_dlib_resnet",
    "create_embedder",
    "default_cache_dir",
]
