"""One visit, one alert: a subject alerted on a camera is not alerted again for a while."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest

from clearsight.config import AlertConfig, ClearsightConfig, MatchConfig, ScheduleConfig
from clearsight.detect import FaceDetector
from clearsight.embed import Embedder
from clearsight.match import Gallery, build_card
from clearsight.pipeline import Pipeline
from clearsight.types import FaceDetections, Frame

ALICE = np.eye(128, dtype=np.float32)[3]


class FaceWhenLit(FaceDetector):
    """A frontal 120 px face wherever the frame is bright; nothing in a dark frame."""

    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        if image.mean() < 100:
            return FaceDetections.empty()
        landmarks = [[190, 140], [170, 140], [130, 140], [150, 140], [160, 180]]
        return FaceDetections(
            boxes=np.array([[100, 100, 220, 220]], np.float32),
            scores=np.ones(1, np.float32),
            landmarks=np.array([landmarks], np.float32),
        )


class AlwaysAlice(Embedder):
    model_id = "fake-model"
    dimensions = 128

    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        return np.tile(ALICE, (len(chips), 1))


def _visits(pipeline: Pipeline, gap_s: float) -> int:
    """Two visits of Alice (20 frames each, 10 per second), ``gap_s`` apart; alerts raised."""
    rng = np.random.default_rng(0)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    alerts = 0
    for visit in range(2):
        began = start + timedelta(seconds=visit * gap_s)
        for index in range(40):  # lit for 20 frames, then dark long enough to end the track
            lit = index < 20
            image = rng.integers(150 if lit else 0, 255 if lit else 40, (360, 640, 3), np.uint8)
            when = began + timedelta(seconds=index / 10)
            alerts += len(pipeline.process(Frame(image, when, "cam", visit * 40 + index)))
    return alerts


def _pipeline(repeat_after_s: float) -> Pipeline:
    rng = np.random.default_rng(0)
    gallery = Gallery.build("fake-model", [("a", "Alice", ALICE)])
    card = build_card(
        "fake-model", rng.uniform(-0.2, 0.5, 5000), rng.uniform(0.6, 1, 500), "t", "1"
    )
    config = ClearsightConfig(
        schedule=ScheduleConfig(enabled=False),  # the fake detector ignores regions
        alert=AlertConfig(repeat_after_s=repeat_after_s),
        match=MatchConfig(rule="pooled"),  # the synthetic card has no groups
    )
    return Pipeline(config, gallery, card=card, detector=FaceWhenLit(), embedder=AlwaysAlice())


@pytest.mark.parametrize(
    ("repeat_after_s", "gap_s", "alerts", "suppressed"),
    [
        (300.0, 60.0, 1, 1),  # back within the quiet time: decided, not alerted again
        (300.0, 400.0, 2, 0),  # back after it: a new alert
        (0.0, 60.0, 2, 0),  # quiet time off: every matching track alerts
    ],
)
def test_a_subject_is_alerted_once_per_quiet_time(
    repeat_after_s: float, gap_s: float, alerts: int, suppressed: int
) -> None:
    pipeline = _pipeline(repeat_after_s)
    assert _visits(pipeline, gap_s) == alerts
    assert pipeline.stats.tracks == 2
    assert pipeline.stats.repeats_suppressed == suppressed
    assert pipeline.stats.alerts == alerts
