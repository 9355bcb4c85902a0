from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clearsight.embed._align import CHIP_SIZE
from clearsight.embed._base import MirroredEmbedder
from clearsight.embed._dlib_dat import DLIB_RESNET_MODEL_ID
from clearsight.embed._onnx_cache import cached_onnx_resnet, convert_dlib_resnet
from clearsight.errors import InputError
from clearsight.models import ProcessLocalModel, open_onnx_session

__all__ = ["OnnxResNetEmbedder"]


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # honours CPU pinning and container limits
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class OnnxResNetEmbedder(ProcessLocalModel, MirroredEmbedder):
    """dlib's ResNet (``dlib_face_recognition_resnet_model_v1``) run by ONNX Runtime.

    The same weights, read from the same bundled file and computed by the same network; its
    descriptors match :class:`DlibResNetEmbedder`'s to within float rounding (cosine distance
    below 1e-12 on 300 real LFW faces, see ``docs/faster-embedder.md``), so it shares
    the model id ``dlib-resnet-v1``, its templates and its calibration card. ONNX Runtime
    uses every core it is given and runs chips in batches, where dlib-bin runs one core.

    ``threads`` is ONNX Runtime's intra-op thread count (default: all CPUs the process may
    use); ``batch_size`` caps how many chips (mirrors included) go through at once: 8 was as
    fast as larger batches and keeps ONNX Runtime's memory arena small. The ONNX
    model is converted from ``model_path`` (default: the bundled .dat) on first use and kept
    in ``cache_dir`` (default: ``~/.cache/clearsight``, see ``default_cache_dir``).
    """

    _process_local = ("_session",)

    dimensions = 128

    def __init__(
        self,
        mirror: bool = True,
        threads: int | None = None,
        batch_size: int = 8,
        model_path: Path | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        if threads is not None and threads < 1:
            raise ValueError("threads must be at least 1")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.mirror = mirror
        self.model_id = DLIB_RESNET_MODEL_ID
        self.threads = threads if threads is not None else _usable_cpus()
        self.batch_size = batch_size
        self._model_path = model_path
        self._cache_dir = cache_dir
        self._session: Any = None
        self._lock = threading.Lock()

    def _model(self) -> str | bytes:
        try:
            return str(cached_onnx_resnet(self._model_path, self._cache_dir))
        except OSError:  # an unwritable cache: convert in memory, for this process only
            return convert_dlib_resnet(self._model_path)

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                self._session = open_onnx_session(self._model(), threads=self.threads)
            return self._session

    def descriptors(self, chips: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """dlib's raw (unnormalised) descriptors of a (N, 150, 150, 3) uint8 stack."""
        session = self._load()
        parts = [
            session.run(None, {"chips": chips[start : start + self.batch_size]})[0]
            for start in range(0, len(chips), self.batch_size)
        ]
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _embed(
        self, chips: Sequence[npt.NDArray[np.uint8]], mirror: bool
    ) -> npt.NDArray[np.float32]:
        if not chips:
            return np.zeros((0, self.dimensions), np.float32)
        for index, chip in enumerate(chips):
            if chip.shape != (CHIP_SIZE, CHIP_SIZE, 3) or chip.dtype != np.uint8:
                raise InputError(
                    f"chip {index}: {chip.dtype} {chip.shape}, expected uint8 "
                    f"({CHIP_SIZE}, {CHIP_SIZE}, 3) from align_chips"
                )
        stack = np.stack(chips)
        if mirror:
            both = self.descriptors(np.concatenate([stack, stack[:, :, ::-1]]))
            vectors = both[: len(stack)] + both[len(stack) :]
        else:
            vectors = self.descriptors(stack)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: npt.NDArray[np.float32] = (vectors / norms).astype(np.float32)
        return unit
