"""Simulated cameras: light sources that emit face samples of recorded people.

No video is decoded: each camera starts a track now and then, of a person drawn from
pre-computed real embeddings (``SimulationData``), and emits a few samples a fraction of a
second apart. Each track is matched at the edge exactly as the pipeline does it
(``decide_track`` over the site's gallery, at most one alert per track, ``build_alert`` for
the evidence); a track that matches nobody is dropped when it ends and never leaves the
process.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from clearsight.alert import build_alert
from clearsight.cluster._runner import AlertEmitter, GalleryLookup, RunnerStats
from clearsight.cluster._simdata import SimulationData
from clearsight.cluster._wire import CameraSpec
from clearsight.config import MatchConfig
from clearsight.match import CalibrationCard, decide_track, load_card, operating_point
from clearsight.types import FaceSample

__all__ = ["SimulatedCameras", "SimulationRates"]

_log = logging.getLogger(__name__)
_CHIP = np.zeros((1, 1, 3), np.uint8)


@dataclass(frozen=True)
class SimulationRates:
    """How busy a simulated camera is."""

    track_every_s: float = 30.0
    """Mean seconds between tracks on one camera (exponentially distributed)."""
    samples_per_track: tuple[int, int] = (3, 6)
    sample_every_s: float = 0.25


@dataclass
class _Track:
    track_id: int
    person: int
    left: int
    samples: list[FaceSample] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    alerted: bool = False


@dataclass
class _Camera:
    spec: CameraSpec
    generation: int
    next_track_id: int = 1
    track: _Track | None = None


class SimulatedCameras:
    """A ``CameraRunner`` over simulated cameras, all in one asyncio task."""

    def __init__(
        self,
        data: SimulationData,
        galleries: GalleryLookup,
        emit: AlertEmitter,
        rates: SimulationRates | None = None,
        match: MatchConfig | None = None,
        seed: int | None = None,
    ) -> None:
        self._data = data
        self._galleries = galleries
        self._emit = emit
        self._rates = rates or SimulationRates()
        self._match = match or MatchConfig()
        self._card: CalibrationCard = load_card(data.model_id)
        self._point = operating_point(self._card, self._match)
        self._random = random.Random(seed)
        self._cameras: dict[str, _Camera] = {}
        self._queue: list[tuple[float, int, str, int]] = []
        self._counter = 0
        self._generation = 0
        self._events = 0
        self._worst_lag = 0.0
        self._since = time.monotonic()
        self._wake = asyncio.Event()

    def start(self, camera: CameraSpec) -> None:
        held = self._cameras.get(camera.camera_id)
        if held is not None and held.spec == camera:
            return
        self._generation += 1
        self._cameras[camera.camera_id] = _Camera(camera, self._generation)
        first = time.monotonic() + self._random.expovariate(1.0 / self._rates.track_every_s)
        self._push(first, camera.camera_id, self._generation)

    def stop(self, camera_id: str) -> None:
        self._cameras.pop(camera_id, None)  # its queued events are skipped (stale generation)

    def running(self) -> set[str]:
        return set(self._cameras)

    def take_stats(self) -> RunnerStats:
        now = time.monotonic()
        stats = RunnerStats(self._events, now - self._since, self._worst_lag, ())
        self._events, self._worst_lag, self._since = 0, 0.0, now
        return stats

    def _push(self, when: float, camera_id: str, generation: int) -> None:
        self._counter += 1
        heapq.heappush(self._queue, (when, self._counter, camera_id, generation))
        self._wake.set()

    async def run(self) -> None:
        while True:
            now = time.monotonic()
            while self._queue and self._queue[0][0] <= now:
                when, _, camera_id, generation = heapq.heappop(self._queue)
                camera = self._cameras.get(camera_id)
                if camera is None or camera.generation != generation:
                    continue
                self._worst_lag = max(self._worst_lag, now - when)
                self._step(camera, now)
            delay = self._queue[0][0] - time.monotonic() if self._queue else 1.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, min(delay, 1.0)))

    def _step(self, camera: _Camera, now: float) -> None:
        rates = self._rates
        track = camera.track
        if track is None:
            low, high = rates.samples_per_track
            track = _Track(
                camera.next_track_id,
                self._random.randrange(self._data.people),
                self._random.randint(low, high),
            )
            camera.next_track_id += 1
            camera.track = track
        self._sample(camera, track)
        track.left -= 1
        if track.left > 0:
            self._push(now + rates.sample_every_s, camera.spec.camera_id, camera.generation)
        else:
            camera.track = None  # the track ends: everything it held is dropped
            gap = self._random.expovariate(1.0 / rates.track_every_s)
            self._push(now + gap, camera.spec.camera_id, camera.generation)

    def _sample(self, camera: _Camera, track: _Track) -> None:
        self._events += 1
        if track.alerted:
            return
        gallery = self._galleries(camera.spec.site)
        if gallery is None or len(gallery) == 0:
            return
        row = self._random.choice(self._data.rows_of(track.person))
        track.rows.append(row)
        track.samples.append(
            FaceSample(
                track_id=track.track_id,
                source=camera.spec.camera_id,
                capture_time=datetime.now(UTC),
                frame_index=0,
                box=(0.0, 0.0, 1.0, 1.0),
                quality=float(self._data.quality[row]),
                crop=self._data.crops[track.person],
                chip=_CHIP,
            )
        )
        if len(track.rows) < self._match.min_agreeing_samples:
            return
        decision = decide_track(
            track.track_id,
            self._data.embeddings[track.rows],
            self._data.quality[track.rows],
            gallery,
            self._card,
            self._point,
            self._match,
        )
        if decision.candidate is None:
            return
        track.alerted = True
        alert = build_alert(decision, track.samples, self._point)
        track.samples, track.rows = [], []
        try:
            self._emit(camera.spec, alert, gallery.model_id)
        except Exception:  # a failing emit must not stop the other cameras
            _log.exception("camera %s: cannot emit alert %s", camera.spec.camera_id, alert.alert_id)
