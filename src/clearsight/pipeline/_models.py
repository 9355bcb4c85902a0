"""The models a config names, built once for every command, camera worker and the service."""

from __future__ import annotations

from dataclasses import dataclass

from clearsight.config import ClearsightConfig
from clearsight.detect import FaceDetector, create_detector
from clearsight.embed import Embedder, create_embedder
from clearsight.match import CalibrationCard, model_card, operating_point
from clearsight.types import OperatingPoint

__all__ = ["ConfiguredModels", "create_models", "embedder_card"]


def embedder_card(embedder: Embedder) -> CalibrationCard:
    """The embedder's own calibration card (``Embedder.card_file``, else the card shipped
    for its model id); a card measured for another model is refused."""
    return model_card(embedder.model_id, embedder.card_file())


@dataclass(frozen=True)
class ConfiguredModels:
    """What a config's ``detector`` and ``embed`` sections name, the embedder's card and the
    one operating point (card and ``match`` config) every decision of this config uses."""

    detector: FaceDetector
    embedder: Embedder
    card: CalibrationCard
    point: OperatingPoint

    @property
    def model_id(self) -> str:
        return self.embedder.model_id


def create_models(config: ClearsightConfig) -> ConfiguredModels:
    """Detector, embedder, card and operating point for ``config``; a card of another model
    is refused here, before any frame is read. Models load on first use."""
    embedder = create_embedder(config.embed)
    card = embedder_card(embedder)
    return ConfiguredModels(
        create_detector(config.detector), embedder, card, operating_point(card, config.match)
    )
