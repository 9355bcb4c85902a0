from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


class Embedder(ABC):
    """Turns aligned face chips into L2-normalised templates of one model."""

    model_id: str
    dimensions: int

    @abstractmethod
    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """(N, dimensions) float32, each row of unit length, one per chip."""
