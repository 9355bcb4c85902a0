from __future__ import annotations

import numpy as np
import numpy.typing as npt


def shrink_image(image: npt.NDArray[np.uint8], width: int, height: int) -> npt.NDArray[np.uint8]:
    """``image`` resized down to ``width`` x ``height`` without aliasing, cheaply.

    OpenCV's area averaging is exact but about ten times slower at non-integer factors
    than at a factor of two (1.5 ms against 0.2 ms on a 600 px crop). Halving by area
    averaging while the factor is at least two, then finishing with bilinear (which
    samples every source pixel below a factor of two), gives the same anti-aliasing for
    a fraction of the cost.
    """
    import cv2  # imported with the model, not with its settings

    current: npt.NDArray[np.uint8] = image
    while current.shape[1] >= 2 * width and current.shape[0] >= 2 * height:
        half = (current.shape[1] // 2, current.shape[0] // 2)
        current = np.asarray(cv2.resize(current, half, interpolation=cv2.INTER_AREA), np.uint8)
    if (current.shape[1], current.shape[0]) != (width, height):
        current = np.asarray(
            cv2.resize(current, (width, height), interpolation=cv2.INTER_LINEAR), np.uint8
        )
    return np.ascontiguousarray(current, dtype=np.uint8)
