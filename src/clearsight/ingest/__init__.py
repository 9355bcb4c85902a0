"""Ingest: images and frame sources (video files, streams, image folders, camera devices)."""

from clearsight.ingest._image import MAX_IMAGE_PIXELS, decode_image, load_image

__all__ = ["MAX_IMAGE_PIXELS", "decode_image", "load_image"]
