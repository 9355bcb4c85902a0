"""Tiny ONNX models built with ``onnx.helper`` for the backend tests: an embedder (mean
colour per channel times a fixed matrix), SCRFD-format detectors whose nine outputs are
constants (faces planted at chosen boxes and landmarks), and calibration cards."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tests.card_groups import groups_of

from clearsight.embed import ARCFACE_POINTS
from clearsight.match import build_card
from clearsight.models import OnnxModelFile, sha256_of

WEIGHTS = np.random.default_rng(3).standard_normal((3, 8)).astype(np.float32)
STRIDES = (8, 16, 32)


def save_model(graph: onnx.GraphProto, path: Path) -> OnnxModelFile:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return OnnxModelFile(path=path, sha256=sha256_of(path))


def embedder_model(path: Path, batch: int | str = "N") -> OnnxModelFile:
    """Mean colour of the chip per channel, times a fixed (3, 8) matrix."""
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["data"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"]),
            helper.make_node("MatMul", ["flat", "weights"], ["embedding"]),
        ],
        "tiny-embedder",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [batch, 3, 112, 112])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch, 8])],
        [numpy_helper.from_array(WEIGHTS, "weights")],
    )
    return save_model(graph, path)


def expected_embedding(chip: np.ndarray, rgb: bool = True) -> np.ndarray:
    """What ``embedder_model`` returns for ``chip``, L2-normalised."""
    pixels = chip.astype(np.float32) if rgb else chip[..., ::-1].astype(np.float32)
    vector = ((pixels - 127.5) / 127.5).mean(axis=(0, 1)) @ WEIGHTS
    return vector / np.linalg.norm(vector)


def card_file(tmp_path: Path, model_id: str) -> Path:
    """A calibration card for ``model_id`` measured on made-up scores: impostors up to 0.4,
    enough of them (50,000) that the pooled threshold at FMR 1e-4 is about 0.4; two groups,
    one whose impostors reach 0.45 (so the every-group threshold is about 0.45)."""
    rng = np.random.default_rng(0)
    groups = groups_of(
        ("a", rng.uniform(-0.3, 0.4, 50_000), 400), ("b", rng.uniform(-0.3, 0.45, 50_000), 400)
    )
    card = build_card(
        model_id,
        rng.uniform(-0.3, 0.4, 50_000),
        rng.uniform(0.5, 1, 100),
        "test",
        "1",
        groups=groups,
    )
    path = tmp_path / f"{model_id}.json"
    path.write_text(card.model_dump_json(), encoding="utf-8")
    return path


def scrfd_model(path: Path, outputs: Sequence[np.ndarray], size: int) -> OnnxModelFile:
    """An SCRFD-format model of a size x size input whose outputs are ``outputs``."""
    names = [f"out{i}" for i in range(len(outputs))]
    nodes = [
        helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value))
        for name, value in zip(names, outputs, strict=True)
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, size, size])],
        [
            helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape))
            for name, value in zip(names, outputs, strict=True)
        ],
    )
    return save_model(graph, path)


def planted_outputs(
    size: int, box: Sequence[float], landmarks: np.ndarray, score: float = 0.9
) -> list[np.ndarray]:
    """SCRFD outputs for a size x size input holding one face at ``box`` (x1, y1, x2, y2)
    with five ``landmarks``, all in input pixels, decoded from the stride-16 anchor nearest
    the box centre."""
    rows = {s: (size // s) ** 2 * 2 for s in STRIDES}
    scores = {s: np.zeros((n, 1), np.float32) for s, n in rows.items()}
    boxes = {s: np.ones((n, 4), np.float32) for s, n in rows.items()}
    marks = {s: np.zeros((n, 10), np.float32) for s, n in rows.items()}
    stride, cells = 16, size // 16
    x1, y1, x2, y2 = box
    cx, cy = (
        min(cells - 1, int((x1 + x2) / 2 / stride)),
        min(cells - 1, int((y1 + y2) / 2 / stride)),
    )
    row = (cy * cells + cx) * 2
    centre = np.array([cx, cy], np.float32) * stride
    scores[stride][row] = score
    boxes[stride][row] = [(centre[0] - x1), (centre[1] - y1), (x2 - centre[0]), (y2 - centre[1])]
    boxes[stride][row] /= stride
    marks[stride][row] = ((landmarks - centre) / stride).reshape(-1)
    return [scores[s] for s in STRIDES] + [boxes[s] for s in STRIDES] + [marks[s] for s in STRIDES]


def frontal_landmarks(box: Sequence[float]) -> np.ndarray:
    """InsightFace-order landmarks of a frontal face filling the square ``box``."""
    x1, y1, x2, _ = box
    return (ARCFACE_POINTS * ((x2 - x1) / 112.0) + np.array([x1, y1], np.float32)).astype(
        np.float32
    )


def textured_image(size: int, seed: int) -> np.ndarray:
    """A sharp (noisy) RGB image with a colour cast, so chips are sharp and embeddings fixed."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 120, (size, size, 3))
    return (noise + np.array([120, 60, 20])).clip(0, 255).astype(np.uint8)
