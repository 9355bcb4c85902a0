from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from clearsight.config import ScheduleConfig


@dataclass(frozen=True, eq=False)
class MotionResult:
    """The share of the frame that changed, and boxes (full-frame pixels) around the changes."""

    changed_fraction: float
    boxes: npt.NDArray[np.float32]

    @property
    def moving(self) -> bool:
        return len(self.boxes) > 0


class MotionDetector:
    """Frame differencing on a blurred, downscaled grey image (about 1 ms a frame).

    Sensor noise is blurred away and changes smaller than ``motion_min_area`` of the frame
    are ignored, so a static scene with a flickering pixel costs no detection.
    """

    def __init__(self, config: ScheduleConfig) -> None:
        self._config = config
        self._previous: npt.NDArray[np.uint8] | None = None

    def update(self, image: npt.NDArray[np.uint8]) -> MotionResult:
        width = self._config.motion_width
        scale = image.shape[1] / width
        # Nearest-neighbour is ten times cheaper than area averaging; the blur below smooths it.
        small = cv2.resize(
            image, (width, max(1, round(image.shape[0] / scale))), interpolation=cv2.INTER_NEAREST
        )
        grey = np.asarray(
            cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0), np.uint8
        )
        previous, self._previous = self._previous, grey
        if previous is None or previous.shape != grey.shape:
            # First frame: everything is new.
            return MotionResult(
                1.0, np.array([[0, 0, image.shape[1] - 1, image.shape[0] - 1]], np.float32)
            )
        changed = cv2.absdiff(grey, previous) > self._config.motion_threshold
        mask = cv2.dilate(changed.astype(np.uint8), np.ones((5, 5), np.uint8), iterations=2)
        fraction = float(changed.mean())
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        min_pixels = self._config.motion_min_area * grey.size
        boxes = [(x, y, x + w, y + h) for x, y, w, h, area in stats[1:count] if area >= min_pixels]
        if not boxes:
            return MotionResult(fraction, np.zeros((0, 4), np.float32))
        scaled = np.array(boxes, np.float32) * scale
        scaled[:, [0, 2]] = np.clip(scaled[:, [0, 2]], 0, image.shape[1] - 1)
        scaled[:, [1, 3]] = np.clip(scaled[:, [1, 3]], 0, image.shape[0] - 1)
        return MotionResult(fraction, scaled)
