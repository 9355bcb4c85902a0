from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from clearsight.errors import ImageError

# 40 megapixels: larger than any camera frame or reference photo we accept; a file that
# decodes to more is refused before its pixels are allocated (decompression bombs).
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_BYTES = 25 * 1024 * 1024
# Pillow can open dozens of formats, some through outside programs (EPS and PDF through
# Ghostscript). Only plain raster formats are ever opened: uploads to the service (reference
# photos, probe crops, subject-access photos) only as JPEG, PNG or WebP; local files and data
# sets also as BMP, TIFF and the netpbm formats.
UPLOAD_FORMATS = ("JPEG", "PNG", "WEBP")
FILE_FORMATS = (*UPLOAD_FORMATS, "BMP", "TIFF", "PPM")


def decode_image(
    data: bytes, name: str, formats: tuple[str, ...] = FILE_FORMATS
) -> npt.NDArray[np.uint8]:
    """RGB uint8 pixels of an encoded image in one of ``formats`` (Pillow's names); ``name``
    is used in the error message. Any other format is "not a recognised image format"."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"{name}: file is {len(data)} bytes, over the {MAX_IMAGE_BYTES} limit")
    if not data:
        raise ImageError(f"{name}: file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageError(
                        f"{name}: image is {width}x{height} pixels, over the "
                        f"{MAX_IMAGE_PIXELS:,}-pixel limit (possible decompression bomb)"
                    )
                image.load()
                rgb = image.convert("RGB")
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(f"{name}: refused as a possible decompression bomb ({error})") from error
    except UnidentifiedImageError as error:
        raise ImageError(
            f"{name}: not a recognised image format (accepted: {', '.join(formats)})"
        ) from error
    except (OSError, ValueError, SyntaxError) as error:
        raise ImageError(f"{name}: corrupt or truncated image ({error})") from error
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def load_image(path: Path) -> npt.NDArray[np.uint8]:
    """RGB uint8 pixels of an image file, or an ImageError naming the file and the problem."""
    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise ImageError(f"{path}: file is {size} bytes, over the {MAX_IMAGE_BYTES} limit")
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise ImageError(f"{path}: no such file") from error
    except IsADirectoryError as error:
        raise ImageError(f"{path}: is a directory, not an image") from error
    except PermissionError as error:
        raise ImageError(f"{path}: permission denied") from error
    return decode_image(data, str(path))
