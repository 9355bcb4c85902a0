"""Ingest: images and frame sources (video files, streams, image folders, camera devices)."""

from clearsight.ingest._image import (
    FILE_FORMATS,
    MAX_IMAGE_PIXELS,
    UPLOAD_FORMATS,
    decode_image,
    load_image,
)
from clearsight.ingest._rate import FrameRateSampler, skip_unreferenced_frames
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
    "FILE_FORMATS",
    "MAX_IMAGE_PIXELS",
    "UPLOAD_FORMATS",
    "ConnectionProblem",
    "DeviceSource",
    "FrameRateSampler",
    "FrameSource",
    "ImageFolderSource",
    "StreamSource",
    "VideoFileSource",
    "decode_image",
    "load_image",
    "open_source",
    "skip_unreferenced_frames",
]
