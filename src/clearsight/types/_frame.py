from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded video frame, RGB uint8 (height, width, 3), with when and where it was captured."""

    image: npt.NDArray[np.uint8]
    capture_time: datetime
    source: str
    index: int

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(
                f"Frame.image must be uint8 (height, width, 3); got {self.image.dtype} "
                f"{self.image.shape}"
            )
        if self.capture_time.tzinfo is None:
            raise ValueError("Frame.capture_time must be timezone-aware")

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])
