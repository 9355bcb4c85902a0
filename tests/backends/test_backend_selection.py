"""The ONNX-file plugins chosen by config, end to end: a config naming ``scrfd`` and an ONNX
embedder file, the pipeline cutting 112x112 ArcFace chips through the embedder and using
the embedder's own card, enrolment, the service's enrolment hook, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image
from tests.backends.tiny_onnx import (
    card_file,
    embedder_model,
    expected_embedding,
    frontal_landmarks,
    planted_outputs,
    scrfd_model,
    textured_image,
)

from clearsight.config import (
    ClearsightConfig,
    DlibResNetEmbedConfig,
    HogDetectorConfig,
    OnnxEmbedderConfig,
    ScrfdDetectorConfig,
    load_config,
)
from clearsight.detect import HogFaceDetector, ScrfdDetector, YunetFaceDetector, create_detector
from clearsight.embed import (
    OnnxEmbedder,
    OnnxResNetEmbedder,
    SFaceEmbedder,
    arcface_chips,
    create_embedder,
)
from clearsight.enrollment import enroll_face
from clearsight.errors import ConfigError, EnrollmentError, StoreError
from clearsight.match import Gallery, load_card, operating_point
from clearsight.pipeline import Pipeline, create_models
from clearsight.quality import assess_face
from clearsight.types import Frame
from clearsight.watchlist import WatchlistFile

SIZE = 64  # model input; frames are 256x256, so letterboxing quarters them
FRAME = 256
BOX_IN_MODEL = (12.0, 12.0, 52.0, 52.0)  # a 160 px face in the frame
MODEL_ID = "tiny-arcface"


def _write_models(folder: Path) -> dict[str, Any]:
    """The two model files and the card, as the settings a config file names."""
    detector = scrfd_model(
        folder / "scrfd.onnx",
        planted_outputs(SIZE, BOX_IN_MODEL, frontal_landmarks(BOX_IN_MODEL)),
        SIZE,
    )
    embedder = embedder_model(folder / "arcface.onnx")
    return {
        "detector": {
            "type": "scrfd",
            "input_size": [SIZE, SIZE],
            "min_face_size": 20,
            "model": {"path": str(detector.path), "sha256": detector.sha256},
        },
        "embed": {
            "type": "onnx-file",
            "model": {
                "model_id": MODEL_ID,
                "card": str(card_file(folder, MODEL_ID)),
                "model": {"path": str(embedder.path), "sha256": embedder.sha256},
            },
        },
    }


def _toml(settings: dict[str, Any], extra: str = "") -> str:
    det, emb = settings["detector"], settings["embed"]["model"]
    return (
        f'[detector]\ntype = "scrfd"\ninput_size = [{SIZE}, {SIZE}]\nmin_face_size = 20\n'
        f'[detector.model]\npath = "{det["model"]["path"]}"\nsha256 = "{det["model"]["sha256"]}"\n'
        f'[embed]\ntype = "onnx-file"\n'
        f'[embed.model]\nmodel_id = "{MODEL_ID}"\ncard = "{emb["card"]}"\n'
        f'[embed.model.model]\npath = "{emb["model"]["path"]}"\nsha256 = "{emb["model"]["sha256"]}"\n'
        + extra
    )


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return _write_models(tmp_path)


@pytest.fixture
def config(settings: dict[str, Any]) -> ClearsightConfig:
    # Every frame searched whole: the tiny detector finds its face wherever it looks.
    return ClearsightConfig.model_validate({**settings, "schedule": {"enabled": False}})


# --- config ------------------------------------------------------------------------------


def test_a_config_file_naming_both_onnx_files_loads_and_round_trips(
    tmp_path: Path, settings: dict[str, Any]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(_toml(settings))
    config = load_config(path)
    assert isinstance(config.detector, ScrfdDetectorConfig)
    assert config.detector.input_size == (SIZE, SIZE)
    assert config.embed.type == "onnx-file" and config.embed.model is not None
    assert config.embed.model.model_id == MODEL_ID
    assert config.embed.model.input_size == 112
    assert ClearsightConfig.model_validate_json(config.model_dump_json()) == config
    assert ClearsightConfig.model_validate(config.model_dump()) == config


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["detector"].pop("model"), r"detector\.scrfd\.model: Field required"),
        (
            lambda s: s["detector"]["model"].update(sha256="abc"),
            r"detector\.scrfd\.model\.sha256",
        ),
        (lambda s: s["detector"].update(input_size=[64]), r"detector\.scrfd\.input_size"),
        (lambda s: s["detector"]["model"].update(url="x"), r"detector\.scrfd\.model\.url"),
        (lambda s: s["embed"].pop("model"), r'embed: Value error, type "onnx-file" needs'),
        (
            lambda s: s["embed"].update(type="dlib"),
            r'embed: Value error, embed\.model is set but type is "dlib"',
        ),
        (lambda s: s["embed"]["model"].pop("model_id"), r"embed\.model\.model_id"),
        (lambda s: s["embed"]["model"].update(std=0), r"embed\.model\.std"),
        # Landmarks of one scheme cannot cut the other embedder's chips.
        (
            lambda s: s.update(embed={"type": "dlib"}),
            r'detector\.type "scrfd" gives insightface landmarks, which embed\.type "dlib"',
        ),
        (
            lambda s: s.update(detector={"type": "hog"}),
            r'detector\.type "hog" gives dlib landmarks, which embed\.type "onnx-file"',
        ),
        (lambda s: s["detector"].update(type="retina"), r"detector: Input tag 'retina'"),
    ],
)
def test_bad_backend_settings_are_refused_naming_the_key(
    tmp_path: Path, settings: dict[str, Any], change: Any, message: str
) -> None:
    change(settings)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(settings))
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_the_factories_and_a_pipeline_given_no_models_build_the_configured_onnx_files(
    config: ClearsightConfig,
) -> None:
    assert isinstance(create_detector(config.detector), ScrfdDetector)
    assert isinstance(create_embedder(config.embed), OnnxEmbedder)
    models = create_models(config)
    reference = enroll_face(
        textured_image(FRAME, 99), "ref", detector=models.detector, embedder=models.embedder
    )
    gallery = Gallery.build(MODEL_ID, [("s1", "Ada", reference.embedding.vector)])
    pipeline = Pipeline(config, gallery)  # detector, embedder and card from the config
    alerts = [alert for frame in _frames(4) for alert in pipeline.process(frame)]
    assert [a.subject_name for a in alerts] == ["Ada"]
    assert pipeline.point == models.point and pipeline.point.model_id == MODEL_ID


def test_create_models_builds_what_the_config_names_with_the_embedders_card(
    config: ClearsightConfig,
) -> None:
    models = create_models(config)
    assert isinstance(models.detector, ScrfdDetector)
    assert isinstance(models.embedder, OnnxEmbedder)
    assert models.model_id == MODEL_ID and models.card.model_id == MODEL_ID
    defaults = create_models(ClearsightConfig())
    assert isinstance(defaults.detector, YunetFaceDetector)
    assert isinstance(defaults.embedder, SFaceEmbedder)
    assert defaults.card.model_id == "sface-2021dec"
    dlib = create_models(
        ClearsightConfig.model_validate({"detector": {"type": "hog"}, "embed": {"type": "dlib"}})
    )
    assert isinstance(dlib.detector, HogFaceDetector)
    assert isinstance(dlib.embedder, OnnxResNetEmbedder)
    assert dlib.card.model_id == "dlib-resnet-v1"
    assert isinstance(create_detector(HogDetectorConfig()), HogFaceDetector)
    assert isinstance(create_embedder(DlibResNetEmbedConfig()), OnnxResNetEmbedder)


def test_an_embedder_card_of_another_model_is_refused_before_any_frame(
    tmp_path: Path, config: ClearsightConfig
) -> None:
    assert config.embed.model is not None
    wrong = config.embed.model.model_copy(update={"card": card_file(tmp_path, "other-model")})
    embed = config.embed.model_copy(update={"model": wrong})
    with pytest.raises(ConfigError, match="card is for other-model, the embedder is tiny-arcface"):
        create_models(config.model_copy(update={"embed": embed}))


# --- quality on ArcFace chips -------------------------------------------------------------


def test_quality_judges_a_112_px_chip_from_insightface_landmarks() -> None:
    box = (48.0, 48.0, 208.0, 208.0)
    points = frontal_landmarks(box)
    chip = textured_image(112, 1)
    frontal = assess_face(160.0, points, chip, ClearsightConfig().quality, "insightface")
    assert frontal.usable and frontal.yaw < 0.02 and frontal.sharpness > 100
    # Read as dlib's order, the same frontal points look like a turned head.
    assert assess_face(160.0, points, chip, ClearsightConfig().quality, "dlib").yaw > 0.45
    turned = points.copy()
    turned[2, 0] += 0.6 * (points[1, 0] - points[0, 0]) / 2  # nose towards an eye
    refused = assess_face(160.0, turned, chip, ClearsightConfig().quality, "insightface")
    assert not refused.usable and "head turned" in refused.reason
    with pytest.raises(ValueError, match="unknown landmark scheme"):
        assess_face(160.0, points, chip, ClearsightConfig().quality, "mediapipe")


# --- the pipeline ---------------------------------------------------------------------------


class _RecordingEmbedder(OnnxEmbedder):
    """The real ONNX embedder, keeping a copy of every chip it is given."""

    def __init__(self, config: OnnxEmbedderConfig) -> None:
        super().__init__(config)
        self.chips: list[npt.NDArray[np.uint8]] = []

    def embed(self, chips: Any) -> npt.NDArray[np.float32]:
        self.chips += [chip.copy() for chip in chips]
        return super().embed(chips)


def _frames(count: int) -> list[Frame]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Frame(textured_image(FRAME, seed), start + timedelta(seconds=0.1 * seed), "cam", seed)
        for seed in range(count)
    ]


def test_pipeline_embeds_arcface_chips_cut_by_the_embedder_and_uses_its_card(
    config: ClearsightConfig,
) -> None:
    assert config.embed.model is not None
    models = create_models(config)
    embedder = _RecordingEmbedder(config.embed.model)
    reference = enroll_face(
        textured_image(FRAME, 99), "ref", detector=models.detector, embedder=embedder
    )
    embedder.chips.clear()
    gallery = Gallery.build(
        MODEL_ID,
        [("s1", "Ada", reference.embedding.vector), ("s2", "Decoy", -reference.embedding.vector)],
    )
    pipeline = Pipeline(config, gallery, detector=models.detector, embedder=embedder)
    frames = _frames(4)
    alerts = [alert for frame in frames for alert in pipeline.process(frame)]

    assert [a.subject_name for a in alerts] == ["Ada"]
    assert alerts[0].score > 0.99
    # The card is the embedder's own file, not dlib's bundled one.
    assert pipeline.point == models.point == operating_point(models.card, config.match)
    assert pipeline.threshold == models.point.threshold
    assert pipeline.point.model_id == MODEL_ID and pipeline.point.rule == "every-group"
    assert 0.44 < pipeline.threshold < 0.46  # group "b" (impostors to 0.45) sets it
    assert alerts[0].operating_point == models.point
    # Each chip embedded is the ArcFace alignment of a frame's SCRFD landmarks, 112x112.
    assert len(embedder.chips) >= config.match.min_agreeing_samples
    expected = [arcface_chips(f.image, models.detector.detect(f.image))[0] for f in frames]
    for chip in embedder.chips:
        assert chip.shape == (112, 112, 3)
        assert any(np.array_equal(chip, e) for e in expected)


def test_pipeline_refuses_mismatched_landmarks_cards_and_watchlists(
    config: ClearsightConfig,
) -> None:
    models = create_models(config)
    empty = Gallery.build(MODEL_ID, [])
    with pytest.raises(ConfigError, match="detector gives dlib landmarks, the embedder tiny"):
        Pipeline(config, empty, detector=HogFaceDetector(), embedder=models.embedder)
    with pytest.raises(ConfigError, match="card is for dlib-resnet-v1, the embedder is tiny"):
        Pipeline(
            config,
            empty,
            card=load_card("dlib-resnet-v1"),
            detector=models.detector,
            embedder=models.embedder,
        )
    dlib_gallery = Gallery.build(
        "dlib-resnet-v1", [("s1", "Ada", np.eye(128, dtype=np.float32)[0])]
    )
    with pytest.raises(ValueError, match="templates are from dlib-resnet-v1, the embedder is tiny"):
        Pipeline(
            config,
            dlib_gallery,
            card=models.card,
            detector=models.detector,
            embedder=models.embedder,
        )


# --- enrolment ------------------------------------------------------------------------------


def test_enrolment_with_the_onnx_embedder_stores_its_model_id_and_arcface_chip(
    config: ClearsightConfig,
) -> None:
    models = create_models(config)
    image = textured_image(FRAME, 7)
    face = enroll_face(image, "ref.png", detector=models.detector, embedder=models.embedder)
    chip = arcface_chips(image, models.detector.detect(image))[0]
    assert face.embedding.model_id == MODEL_ID
    assert face.chip.shape == (112, 112, 3) and np.array_equal(face.chip, chip)
    np.testing.assert_allclose(face.embedding.vector, expected_embedding(chip), atol=1e-5)
    assert face.box == pytest.approx((48, 48, 208, 208), abs=1e-3)
    # Without a detector, enrolment picks the reference-photo detector of the embedder's
    # landmark scheme (YuNet for InsightFace points), which sees no face in this drawing.
    with pytest.raises(EnrollmentError, match=r"ref\.png: no face found"):
        enroll_face(image, "ref.png", embedder=models.embedder)
    with pytest.raises(ConfigError, match="detector gives dlib landmarks"):
        enroll_face(image, "ref.png", detector=HogFaceDetector(), embedder=models.embedder)


def test_the_services_enrolment_uses_the_configured_models(config: ClearsightConfig) -> None:
    from clearsight.service import configured_enrolment

    enrolled = configured_enrolment(config)(textured_image(FRAME, 3), "upload.png")
    assert enrolled.embedding.model_id == MODEL_ID and enrolled.embedding.vector.shape == (8,)


def test_relative_model_paths_are_read_from_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    settings = _write_models(folder)
    relative = {
        "detector": {**settings["detector"], "model": {
            **settings["detector"]["model"], "path": "scrfd.onnx"}},
        "embed": {"type": "onnx-file", "model": {
            **settings["embed"]["model"], "card": Path(settings["embed"]["model"]["card"]).name,
            "model": {**settings["embed"]["model"]["model"], "path": "arcface.onnx"}}},
    }  # fmt: skip
    config_file = folder / "clearsight.toml"
    config_file.write_text(_toml(relative), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = load_config(config_file)
    assert loaded.detector.model.path == folder.resolve() / "scrfd.onnx"  # type: ignore[union-attr]
    embed = loaded.embed.model
    assert embed is not None and embed.model.path == folder.resolve() / "arcface.onnx"
    assert embed.card.parent == folder.resolve()
    models = create_models(loaded)  # the card is read, and the files found, from elsewhere
    assert models.model_id == MODEL_ID
    # Built in code, with no file: a relative path stays as given.
    assert ClearsightConfig.model_validate(relative).detector.model.path == Path("scrfd.onnx")  # type: ignore[union-attr]


def test_the_service_publishes_the_configured_models_templates_to_the_cluster(
    config: ClearsightConfig,
) -> None:
    from clearsight.service import configured_model_id

    assert configured_model_id(config) == MODEL_ID
    assert configured_model_id(ClearsightConfig()) == "sface-2021dec"


# --- the command line -----------------------------------------------------------------------


def _clearsight(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from clearsight.cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_cli_enrols_and_watches_with_a_config_naming_both_onnx_files(
    tmp_path: Path, settings: dict[str, Any]
) -> None:
    config = tmp_path / "onnx.toml"
    config.write_text(_toml(settings, "[schedule]\nenabled = false\n"))
    reference = tmp_path / "ref.png"
    Image.fromarray(textured_image(FRAME, 99)).save(reference)
    frames = tmp_path / "frames"
    frames.mkdir()
    for frame in _frames(4):
        Image.fromarray(frame.image).save(frames / f"{frame.index:03d}.png")
    watchlist = tmp_path / "w.db"

    enrolled = _clearsight("enroll", "Ada", reference, "-w", watchlist, "-c", config)
    assert enrolled.returncode == 0, enrolled.stderr
    with WatchlistFile(watchlist) as store:
        assert store.model_ids() == {MODEL_ID: 1}

    watched = _clearsight("watch", frames, "-w", watchlist, "-c", config, "--json")
    assert watched.returncode == 0, watched.stderr
    lines = [json.loads(line) for line in watched.stdout.splitlines()]
    assert [line["subject"] for line in lines] == ["Ada"]
    card = load_card(MODEL_ID, Path(settings["embed"]["model"]["card"]))
    point = operating_point(card, ClearsightConfig().match)
    assert f"threshold {point.threshold:.3f}" in watched.stderr
    assert "every-group rule" in watched.stderr
    assert lines[0]["operating_point"]["threshold"] == point.threshold
    assert lines[0]["operating_point"]["card_version"] == card.version

    compared = _clearsight("compare", reference, frames / "000.png", "-c", config, "--json")
    assert compared.returncode == 0, compared.stderr
    result = json.loads(compared.stdout)
    assert result["model"] == MODEL_ID and result["verdict"] == "same"


def test_cli_refuses_a_watchlist_enrolled_with_another_model(
    tmp_path: Path, settings: dict[str, Any]
) -> None:
    from clearsight.types import Embedding

    config = tmp_path / "onnx.toml"
    config.write_text(_toml(settings))
    watchlist = tmp_path / "w.db"
    with WatchlistFile(watchlist) as store:
        store.add("Ada", [(Embedding(np.eye(128, dtype=np.float32)[0], "dlib-resnet-v1"), "x")])
    with (
        WatchlistFile(watchlist) as store,
        pytest.raises(StoreError, match="enrolled with dlib-resnet-v1, the configured embedder"),
    ):
        store.matchable_gallery(MODEL_ID)
    frames = tmp_path / "frames"
    frames.mkdir()
    Image.fromarray(textured_image(FRAME, 0)).save(frames / "0.png")
    # A file with some subjects enrolled with this model and one not: refused too, naming
    # whom matching would never find.
    with WatchlistFile(watchlist) as store:
        store.add("Bea", [(Embedding(np.eye(128, dtype=np.float32)[1], MODEL_ID), "y")])
    with (
        WatchlistFile(watchlist) as store,
        pytest.raises(StoreError, match=r"1 subject\(s\) have no template of it \(Ada\)"),
    ):
        store.matchable_gallery(MODEL_ID)
    watched = _clearsight("watch", frames, "-w", watchlist, "-c", config)
    assert watched.returncode == 2
    assert (
        "the watchlist was enrolled with dlib-resnet-v1, the configured embedder is "
        "tiny-arcface; 1 subject(s) have no template of it (Ada). Re-enrol" in watched.stderr
    )
    assert "clearsight enroll NAME PHOTO --watchlist" in watched.stderr
