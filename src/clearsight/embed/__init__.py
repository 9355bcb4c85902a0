"""Alignment and embedding: aligned 150x150 chips in, L2-normalised templates out."""

from clearsight.embed._align import CHIP_SIZE, align_chips
from clearsight.embed._base import Embedder
from clearsight.embed._dlib import DLIB_RESNET_MODEL_ID, DlibResNetEmbedder

__all__ = ["CHIP_SIZE", "DLIB_RESNET_MODEL_ID", "DlibResNetEmbedder", "Embedder", "align_chips"]
