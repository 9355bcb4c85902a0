"""The RetinaFace-format detector plugin: its priors and decoding against answers worked out by
hand, and the whole detector on a tiny ONNX model built here whose box offsets are the mean
of its input per channel (so the pixels it was fed can be read back from the boxes)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from tests.backends.tiny_onnx import save_model

from clearsight.config import ClearsightConfig, OnnxModelFile, RetinafaceDetectorConfig
from clearsight.detect import (
    RetinafaceDetector,
    create_detector,
    decode_retinaface,
    retinaface_priors,
)
from clearsight.errors import ModelError

INPUT = 160  # the detector's input: frames of 320 px are halved (max_width 160)
ROWS = 2 * ((INPUT // 8) ** 2 + (INPUT // 16) ** 2 + (INPUT // 32) ** 2)  # 1,050 priors
STRIDE8_ROW = 86  # stride 8, cell x=3 y=2 (20 cells a row), first size: prior (28, 20), 16 px
DUPLICATE_ROW = 88  # stride 8, cell x=4 y=2, first size: prior (36, 20), 16 px
STRIDE16_ROW = 800 + 42  # stride 16, cell x=1 y=2 (10 a row), first size: prior (24, 40), 64 px
WEAK_ROW = 1000  # stride 32, cell 0, first size: scored below the threshold


def test_priors_follow_the_models_output_order() -> None:
    table = retinaface_priors(64, 32)
    # Stride 8: 8 x 4 cells, stride 16: 4 x 2, stride 32: 2 x 1; two sizes each.
    assert table.shape == (2 * (32 + 8 + 2), 3)
    np.testing.assert_array_equal(table[:4], [[4, 4, 16], [4, 4, 32], [12, 4, 16], [12, 4, 32]])
    np.testing.assert_array_equal(table[16], [4, 12, 16])  # second row of stride 8's cells
    np.testing.assert_array_equal(table[64:66], [[8, 8, 64], [8, 8, 128]])
    np.testing.assert_array_equal(
        table[-4:], [[16, 16, 256], [16, 16, 512], [48, 16, 256], [48, 16, 512]]
    )


def test_priors_of_a_size_that_is_not_a_multiple_of_the_stride_round_cells_up() -> None:
    # 40 x 40: ceil(40 / 8) = 5, ceil(40 / 16) = 3, ceil(40 / 32) = 2 cells a side.
    assert len(retinaface_priors(40, 40)) == 2 * (25 + 9 + 4)


def test_decoding_moves_centres_by_a_tenth_and_scales_sizes_by_exp_a_fifth() -> None:
    prior = np.array([[100, 50, 32]], np.float32)
    offsets = np.array([[1, -2, 0, math.log(2) / 0.2]], np.float32)
    landmarks = np.array([[1, 1, -1, 0, 0, 0, 0.5, 2, -0.5, 2]], np.float32)
    boxes, points = decode_retinaface(offsets, landmarks, prior)
    # Centre (100 + 0.1 * 32, 50 - 0.2 * 32) = (103.2, 43.6); size 32 x 64.
    np.testing.assert_allclose(boxes, [[87.2, 11.6, 119.2, 75.6]], atol=1e-4)
    np.testing.assert_allclose(
        points[0],
        [[103.2, 53.2], [96.8, 50], [100, 50], [101.6, 56.4], [98.4, 56.4]],
        atol=1e-4,
    )


def _model(path: Path) -> OnnxModelFile:
    """A RetinaFace-format model of a 160 x 160 input: scores and landmarks fixed (faces
    planted at four priors), box offsets on every row the input's mean per channel and 0."""
    scores = np.tile(np.array([[1.0, 0.0]], np.float32), (ROWS, 1))
    for row, score in ((STRIDE8_ROW, 0.9), (DUPLICATE_ROW, 0.8), (STRIDE16_ROW, 0.7)):
        scores[row] = [1 - score, score]
    scores[WEAK_ROW] = [0.7, 0.3]
    marks = np.zeros((ROWS, 10), np.float32)
    marks[STRIDE8_ROW] = [-1, -1, 1, -1, 0, 0, -1, 1, 1, 1]
    constants = {
        "shape": np.array([1, 1, 3], np.int64),
        "zero": np.zeros((1, 1, 1), np.float32),
        "repeats": np.array([1, ROWS, 1], np.int64),
    }
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
            helper.make_node("Reshape", ["pooled", "shape"], ["means"]),
            helper.make_node("Concat", ["means", "zero"], ["row"], axis=2),
            helper.make_node("Tile", ["row", "repeats"], ["loc"]),
            helper.make_node("Constant", [], ["conf"], value=numpy_helper.from_array(scores[None])),
            helper.make_node(
                "Constant", [], ["landmarks"], value=numpy_helper.from_array(marks[None])
            ),
        ],
        "tiny-retinaface",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [
            helper.make_tensor_value_info("loc", TensorProto.FLOAT, [1, ROWS, 4]),
            helper.make_tensor_value_info("conf", TensorProto.FLOAT, [1, ROWS, 2]),
            helper.make_tensor_value_info("landmarks", TensorProto.FLOAT, [1, ROWS, 10]),
        ],
        [numpy_helper.from_array(value, name) for name, value in constants.items()],
    )
    return save_model(graph, path)


def _detector(model: OnnxModelFile) -> RetinafaceDetector:
    # nms_iou 0.3: the duplicate overlaps the first face by a third.
    return RetinafaceDetector(
        RetinafaceDetectorConfig(model=model, max_width=INPUT, nms_iou=0.3, min_face_size=8)
    )


def test_detector_feeds_bgr_less_the_mean_and_maps_faces_back_to_the_frame(
    tmp_path: Path,
) -> None:
    # RGB (123, 116, 105) is BGR (105, 116, 123): less the mean (104, 117, 123), box offsets
    # of (1, -1, 0, 0) on every row. Fed RGB, or less another mean, the boxes would move.
    frame = np.empty((2 * INPUT, 2 * INPUT, 3), np.uint8)
    frame[:] = (123, 116, 105)
    found = _detector(_model(tmp_path / "rf.onnx")).detect(frame)
    assert len(found) == 2  # the duplicate is merged, the weak one dropped
    np.testing.assert_allclose(found.scores, [0.9, 0.7], atol=1e-6)
    # Prior (28, 20), 16 px: centre (29.6, 18.4), 16 x 16, then doubled into the frame.
    np.testing.assert_allclose(found.boxes[0], [43.2, 20.8, 75.2, 52.8], atol=1e-3)
    # Prior (24, 40), 64 px: centre (30.4, 33.6); x1 -3.2 is clipped to the frame.
    np.testing.assert_allclose(found.boxes[1], [0, 3.2, 124.8, 131.2], atol=1e-3)
    np.testing.assert_allclose(
        found.landmarks[0],
        [[52.8, 36.8], [59.2, 36.8], [56, 40], [52.8, 43.2], [59.2, 43.2]],
        atol=1e-3,
    )


def test_detector_pads_frames_to_whole_cells_with_the_mean_colour(tmp_path: Path) -> None:
    # 320 x 300 is searched at 160 x 150, padded to 160 x 160; mean-coloured pixels and
    # padding are both zero after subtraction, so offsets are zero and boxes are the priors.
    frame = np.empty((300, 2 * INPUT, 3), np.uint8)
    frame[:] = (123, 117, 104)
    found = _detector(_model(tmp_path / "rf.onnx")).detect(frame)
    np.testing.assert_allclose(found.boxes[0], [40, 24, 72, 56], atol=1e-3)


def test_detector_drops_faces_narrower_than_min_face_size(tmp_path: Path) -> None:
    config = RetinafaceDetectorConfig(
        model=_model(tmp_path / "rf.onnx"), max_width=INPUT, min_face_size=40
    )
    frame = np.full((2 * INPUT, 2 * INPUT, 3), (123, 117, 104), np.uint8)
    found = RetinafaceDetector(config).detect(frame)
    assert len(found) == 1 and found.scores[0] == pytest.approx(0.7)


def test_detector_refuses_a_model_with_other_outputs(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["input"], ["out"])],
        "not-retinaface",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 3, "h", "w"])],
    )
    model = save_model(graph, tmp_path / "other.onnx")
    detector = RetinafaceDetector(RetinafaceDetectorConfig(model=model))
    with pytest.raises(ModelError, match=r"other\.onnx: outputs of widths \[.*\]; a RetinaFace"):
        detector.detect(np.zeros((64, 64, 3), np.uint8))


def test_detector_says_when_the_outputs_do_not_fit_the_input(tmp_path: Path) -> None:
    # The tiny model's outputs fit a 160 x 160 input only; a 320-wide search does not.
    config = RetinafaceDetectorConfig(model=_model(tmp_path / "rf.onnx"), max_width=320)
    with pytest.raises(ModelError, match=r"1050 outputs for a 320x320 input"):
        RetinafaceDetector(config).detect(np.zeros((320, 320, 3), np.uint8))


def test_a_config_naming_retinaface_builds_it(tmp_path: Path) -> None:
    model = _model(tmp_path / "rf.onnx")
    config = ClearsightConfig.model_validate(
        {"detector": {"type": "retinaface", "model": model.model_dump(), "max_width": 1280}}
    )
    assert isinstance(config.detector, RetinafaceDetectorConfig)
    assert config.detector.max_width == 1280
    detector = create_detector(config.detector)
    assert isinstance(detector, RetinafaceDetector)
    assert detector.landmark_scheme == "insightface"
