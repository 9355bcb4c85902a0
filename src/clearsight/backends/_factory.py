"""One place that builds the configured detector, embedder and calibration card, the ONNX
backends included: every command, camera worker and the service call it."""

from __future__ import annotations

from dataclasses import dataclass

from clearsight.backends._arcface import OnnxEmbedder
from clearsight.backends._scrfd import ScrfdDetector
from clearsight.config import ClearsightConfig, DetectorConfig, EmbedConfig, ScrfdDetectorConfig
from clearsight.detect import FaceDetector, create_detector
from clearsight.embed import Embedder, create_embedder
from clearsight.errors import ConfigError
from clearsight.match import CalibrationCard, model_card


def create_detector_from_config(config: DetectorConfig) -> FaceDetector:
    """The detector ``config.type`` names: dlib's ``hog`` or ``cnn``, or ``scrfd`` (ONNX)."""
    if isinstance(config, ScrfdDetectorConfig):
        return ScrfdDetector(config)
    return create_detector(config)


def create_embedder_from_config(config: EmbedConfig) -> Embedder:
    """SFace, dlib's ResNet, or the ONNX embedder file (``type = "onnx-file"``)."""
    if config.type == "onnx-file":
        if config.model is None:  # the config refuses this; a hand-built copy may not
            raise ConfigError('embed.type "onnx-file" needs embed.model')
        return OnnxEmbedder(config.model)
    return create_embedder(config)


def embedder_card(embedder: Embedder) -> CalibrationCard:
    """The embedder's own calibration card (never another model's)."""
    if isinstance(embedder, OnnxEmbedder):
        return embedder.card()
    return model_card(embedder.model_id, embedder.card_file())


def create_enrollment_detector(config: DetectorConfig) -> FaceDetector | None:
    """The detector for reference photos: None (enrolment's own, which searches photos at
    a larger size than a camera's frames: YuNet or dlib's HOG) for the built-in detectors,
    else the configured one."""
    if isinstance(config, ScrfdDetectorConfig):
        return ScrfdDetector(config)
    return None


@dataclass(frozen=True)
class ConfiguredModels:
    """What a config's ``detector`` and ``embed`` sections name, and the embedder's card."""

    detector: FaceDetector
    embedder: Embedder
    card: CalibrationCard

    @property
    def model_id(self) -> str:
        return self.embedder.model_id


def create_models(config: ClearsightConfig) -> ConfiguredModels:
    """Detector, embedder and card for ``config``; a card of another model is refused here,
    before any frame is read. Models load on first use."""
    embedder = create_embedder_from_config(config.embed)
    return ConfiguredModels(
        create_detector_from_config(config.detector), embedder, embedder_card(embedder)
    )
