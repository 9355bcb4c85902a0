"""Encoding face images for storage (PNG: lossless, no metadata carried over)."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
from PIL import Image

from clearsight.errors import InputError


def encode_png(image: npt.NDArray[np.uint8]) -> bytes:
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3 or array.size == 0:
        raise InputError(
            f"face image must be RGB uint8 (height, width, 3); got {array.dtype} {array.shape}"
        )
    buffer = io.BytesIO()
    Image.fromarray(array, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()
