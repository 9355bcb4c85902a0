"""The ONNX-file plugins (SCRFD detector, ArcFace-style embedder) with tiny models built here by ``onnx.helper``: loading, hash refusal,
decoding of SCRFD outputs, embedder preprocessing and normalisation, calibration cards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from tests.backends.tiny_onnx import card_file as _card
from tests.backends.tiny_onnx import embedder_model as _embedder_model
from tests.backends.tiny_onnx import expected_embedding as _expected_embedding
from tests.backends.tiny_onnx import scrfd_model

from clearsight.config import OnnxEmbedderConfig, OnnxModelFile, ScrfdDetectorConfig
from clearsight.detect import ScrfdDetector
from clearsight.embed import ARCFACE_POINTS, OnnxEmbedder, arcface_chips
from clearsight.errors import ConfigError, ModelError
from clearsight.pipeline import embedder_card
from clearsight.types import FaceDetections


def _embedder(tmp_path: Path, model: OnnxModelFile, **options: object) -> OnnxEmbedder:
    config = OnnxEmbedderConfig(
        model=model, model_id="tiny-arcface", card=_card(tmp_path, "tiny-arcface"), **options
    )
    return OnnxEmbedder(config)


def test_embedder_normalises_pixels_and_returns_unit_vectors(tmp_path: Path) -> None:
    chips = list(np.random.default_rng(1).integers(0, 256, (3, 112, 112, 3), dtype=np.uint8))
    embedder = _embedder(tmp_path, _embedder_model(tmp_path / "e.onnx"))
    vectors = embedder.embed(chips)
    assert vectors.shape == (3, 8) and embedder.dimensions == 8
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(vectors, [_expected_embedding(c) for c in chips], atol=1e-5)
    assert embedder.embed([]).shape == (0, 8)


def test_embedder_feeds_bgr_when_asked_and_loops_over_fixed_batch_models(tmp_path: Path) -> None:
    chips = list(np.random.default_rng(2).integers(0, 256, (2, 112, 112, 3), dtype=np.uint8))
    model = _embedder_model(tmp_path / "fixed.onnx", batch=1)
    vectors = _embedder(tmp_path, model, rgb=False).embed(chips)
    np.testing.assert_allclose(
        vectors, [_expected_embedding(c, rgb=False) for c in chips], atol=1e-5
    )


def test_embedder_refuses_a_file_whose_hash_differs(tmp_path: Path) -> None:
    model = _embedder_model(tmp_path / "e.onnx")
    tampered = OnnxModelFile(path=model.path, sha256="0" * 64)
    embedder = _embedder(tmp_path, tampered)
    with pytest.raises(ModelError, match=r"e\.onnx: SHA-256 is [0-9a-f]{64}, expected 0{64}"):
        embedder.embed([np.zeros((112, 112, 3), np.uint8)])


def test_embedder_card_must_be_measured_for_the_same_model(tmp_path: Path) -> None:
    model = _embedder_model(tmp_path / "e.onnx")
    embedder = _embedder(tmp_path, model)
    assert embedder_card(embedder).model_id == "tiny-arcface"
    other = OnnxEmbedderConfig(
        model=model, model_id="tiny-arcface", card=_card(tmp_path, "dlib-resnet-v1")
    )
    with pytest.raises(
        ConfigError, match="card is for dlib-resnet-v1, the embedder is tiny-arcface"
    ):
        embedder_card(OnnxEmbedder(other))


def test_model_file_config_refuses_a_malformed_digest(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="sha256"):
        OnnxModelFile(path=tmp_path / "x.onnx", sha256="not-a-digest")


def test_arcface_chips_map_the_landmarks_onto_the_reference_points() -> None:
    ys, xs = np.mgrid[:400, :400]
    image = np.stack([xs % 256, ys % 256, (xs + ys) % 256], axis=-1).astype(np.uint8)
    points = ARCFACE_POINTS * 2 + np.array([50, 30], np.float32)
    box = np.array([[50, 30, 274, 254]], np.float32)
    chips = arcface_chips(image, FaceDetections(box, np.ones(1), points[None]))
    assert len(chips) == 1 and chips[0].shape == (112, 112, 3)
    # The chip samples the image at half scale from (50, 30): pixel (x, y) <- (50 + 2x, 30 + 2y).
    expected_x = (50 + 2 * np.arange(112)) % 256
    assert np.abs(chips[0][10, :100, 0].astype(int) - expected_x[:100]).max() <= 2


# --- SCRFD ------------------------------------------------------------------------------

SIZE = 64  # model input; the test image is 128x128, so letterboxing halves it


def _scrfd_outputs() -> list[np.ndarray]:
    """Score, box and landmark tensors for strides 8, 16, 32 with three faces planted."""
    rows = {8: (SIZE // 8) ** 2 * 2, 16: (SIZE // 16) ** 2 * 2, 32: (SIZE // 32) ** 2 * 2}
    scores = {s: np.zeros((n, 1), np.float32) for s, n in rows.items()}
    boxes = {s: np.ones((n, 4), np.float32) for s, n in rows.items()}
    marks = {s: np.zeros((n, 10), np.float32) for s, n in rows.items()}
    # Stride 8, cell x=3 y=2, anchor 0: centre (24, 16); a near-duplicate on anchor 1.
    scores[8][38], boxes[8][38] = 0.9, 2.0
    marks[8][38] = [-1, -1, 1, -1, 0, 0, -1, 1, 1, 1]
    scores[8][39], boxes[8][39] = 0.8, [2, 2, 2, 1.9]
    # Stride 16, cell x=1 y=3, anchor 0: centre (16, 48).
    scores[16][26] = 0.7
    # Below the threshold: dropped.
    scores[32][0] = 0.3
    return [scores[s] for s in rows] + [boxes[s] for s in rows] + [marks[s] for s in rows]


def _scrfd_model(path: Path, outputs: list[np.ndarray]) -> OnnxModelFile:
    return scrfd_model(path, outputs, SIZE)


def _detector(model: OnnxModelFile) -> ScrfdDetector:
    return ScrfdDetector(
        ScrfdDetectorConfig(model=model, input_size=(SIZE, SIZE), min_face_size=20)
    )


def test_scrfd_decodes_boxes_and_landmarks_into_image_coordinates(tmp_path: Path) -> None:
    detector = _detector(_scrfd_model(tmp_path / "d.onnx", _scrfd_outputs()))
    found = detector.detect(np.zeros((128, 128, 3), np.uint8))
    assert len(found) == 2  # the near-duplicate is merged, the weak one dropped
    np.testing.assert_allclose(found.scores, [0.9, 0.7], atol=1e-6)
    np.testing.assert_allclose(found.boxes[0], [16, 0, 80, 64], atol=1e-4)
    np.testing.assert_allclose(found.boxes[1], [0, 64, 64, 127], atol=1e-4)  # clipped to the image
    np.testing.assert_allclose(
        found.landmarks[0], [[32, 16], [64, 16], [48, 32], [32, 48], [64, 48]], atol=1e-4
    )


def test_scrfd_refuses_models_that_do_not_have_its_outputs(tmp_path: Path) -> None:
    detector = _detector(_scrfd_model(tmp_path / "bad.onnx", _scrfd_outputs()[:6]))
    with pytest.raises(ModelError, match=r"bad\.onnx: 6 outputs; an SCRFD model has 9"):
        detector.detect(np.zeros((64, 64, 3), np.uint8))


def test_scrfd_refuses_a_file_whose_hash_differs(tmp_path: Path) -> None:
    model = _scrfd_model(tmp_path / "d.onnx", _scrfd_outputs())
    tampered = model.model_copy(update={"sha256": "f" * 64})
    with pytest.raises(ModelError, match="SHA-256 is"):
        _detector(tampered).detect(np.zeros((64, 64, 3), np.uint8))


def test_scrfd_input_size_must_be_a_multiple_of_32(tmp_path: Path) -> None:
    model = OnnxModelFile(path=tmp_path / "d.onnx", sha256="0" * 64)
    with pytest.raises(ModelError, match="not multiples of 32"):
        ScrfdDetector(ScrfdDetectorConfig(model=model, input_size=(100, 64)))


def test_scrfd_says_which_input_size_a_fixed_size_model_takes(tmp_path: Path) -> None:
    """A model exported for one input size (the scrfd PyPI sdist's is 640x640) run at
    another is a clear error naming the setting, not ONNX Runtime's dimension error."""
    model = _scrfd_model(tmp_path / "fixed.onnx", _scrfd_outputs())
    detector = ScrfdDetector(ScrfdDetectorConfig(model=model, input_size=(SIZE * 2, SIZE)))
    with pytest.raises(ModelError, match=rf"takes {SIZE}x{SIZE} input only; set detector"):
        detector.detect(np.zeros((64, 64, 3), np.uint8))
