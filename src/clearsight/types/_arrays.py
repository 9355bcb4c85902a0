"""Helpers that make arrays safe to share between stages."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def frozen_array(values: npt.ArrayLike, dtype: npt.DTypeLike) -> npt.NDArray[np.generic]:
    """A read-only copy, so no stage can change what another stage holds."""
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array
