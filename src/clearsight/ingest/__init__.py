"""Ingest: images and frame sources (video files, streams, image folders, camera devices)."""

from clearsight.ingest._image import MAX_IMAGE_PIXELS, decode_image, load_image
from clearsight.ingest._sources import (
    ConnectionProblem,
    DeviceSource,
    FrameSource,
    ImageFolderSource,
    StreamSource,
    VideoFileSource,
    open_source,
)

__all__ = [
    "MAX_IMAGE_PIXELS",
    "ConnectionProblem",
    "DeviceSource",
    "FrameSource",
    "ImageFolderSource",
    "StreamSource",
    "VideoFileSource",
    "decode_image",
    "load_image",
    "open_source",
]
