"""Synthetic scenes built from public-domain photos shipped with scikit-image."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def two_faces(shift: int = 0) -> npt.NDArray[np.uint8]:
    """A 400x240 scene with the astronaut's head on the left and its mirror image on the right."""
    import cv2
    from skimage import data

    head = data.astronaut()[20:300, 110:370]
    height = 150
    width = int(head.shape[1] * height / head.shape[0])
    head = cv2.resize(head, (width, height), interpolation=cv2.INTER_AREA)
    scene = np.zeros((240, 400, 3), np.uint8)
    scene[..., 0] = np.linspace(60, 120, 400, dtype=np.uint8)[None, :]
    scene[..., 1] = 100
    scene[..., 2] = np.linspace(140, 80, 240, dtype=np.uint8)[:, None]
    left = 20 + shift
    scene[40 : 40 + height, left : left + width] = head
    right = 380 - width - shift
    scene[50 : 50 + height, right : right + width] = head[:, ::-1]
    return scene
