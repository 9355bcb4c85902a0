"""Alignment and embedding: aligned 150x150 chips in, L2-normalised templates out."""

from clearsight.embed._align import CHIP_SIZE, align_chips
from clearsight.embed._base import Embedder
from clearsight.embed._dlib import DLIB_RESNET_MODEL_ID, DlibResNetEmbedder
from clearsight.embed._onnx_resnet import OnnxResNetEmbedder, onnx_resnet_model

__all__ = [
    "CHIP_SIZE",
    "DLIB_RESNET_MODEL_ID",
    "DlibResNetEmbedder",
    "Embedder",
    "OnnxResNetEmbedder",
    "align_chips",
    "onnx_resnet_model",
]
