from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from clearsight.alert import build_alert
from clearsight.config import ClearsightConfig, MatchConfig
from clearsight.detect import (
    FaceDetector,
    create_detector,
    detect_in_regions,
    expand_boxes,
    locate_landmarks,
    non_max_suppression,
)
from clearsight.embed import Embedder, create_embedder
from clearsight.errors import ConfigError
from clearsight.match import (
    CalibrationCard,
    Gallery,
    check_point,
    decide_track,
    operating_point,
)
from clearsight.motion import MotionDetector
from clearsight.pipeline._models import embedder_card
from clearsight.quality import BestSamples, assess_chip, assess_geometry
from clearsight.track import IouTracker
from clearsight.types import (
    Alert,
    FaceDetections,
    FaceSample,
    Frame,
    OperatingPoint,
    concat_detections,
    iou_matrix,
)

# How far below the threshold a screened score still earns a closer look (cosine).
_SCREENING_MARGIN = 0.1


@dataclass
class PipelineStats:
    """Counts and time spent per stage, for benchmarks and the camera status page."""

    frames: int = 0
    faces: int = 0
    embeddings: int = 0
    screenings: int = 0
    closer_looks: int = 0
    """Tracks that came near a watchlist subject and got full templates and a decision."""
    tracks: int = 0
    alerts: int = 0
    full_detections: int = 0
    region_detections: int = 0
    skipped_detections: int = 0
    widened_searches: int = 0
    repeats_suppressed: int = 0
    stage_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def ms_per_frame(self) -> dict[str, float]:
        frames = max(self.frames, 1)
        return {stage: 1000 * seconds / frames for stage, seconds in self.stage_seconds.items()}


# A sample of a track, by its frame: unlike ``id()``, never reused by a later sample once
# an evicted one is freed.
_SampleKey = tuple[int, datetime]


def _key(sample: FaceSample) -> _SampleKey:
    return (sample.frame_index, sample.capture_time)


@dataclass
class _TrackState:
    samples: BestSamples
    embeddings: dict[_SampleKey, npt.NDArray[np.float32]] = field(default_factory=dict)
    """Full templates (``Embedder.embed``) of kept samples: what a decision is made on."""
    screened: set[_SampleKey] = field(default_factory=set)
    """Kept samples screened (``Embedder.screen``) against the watchlist."""
    embedded_count: int = 0
    """Embeddings spent on the track, screenings included."""
    best_screened_quality: float = -1.0
    closest_score: float | None = None
    """The best score any of its samples reached against the watchlist so far."""
    alerted: bool = False

    def wants_samples(self, embedding_budget: int) -> bool:
        return not self.alerted and self.embedded_count < embedding_budget

    def near(self, closer_look_score: float) -> bool:
        """Has a sample come near a watchlist subject (so the track gets a closer look)?"""
        return self.closest_score is not None and self.closest_score >= closer_look_score

    def worth_screening(self, samples: list[FaceSample], match: MatchConfig) -> list[FaceSample]:
        """Which of the (best-first) kept samples to screen now.

        First as many as a decision needs; then only a sample clearly better than any
        screened so far: a face of nobody on the watchlist walking up to the camera
        improves on every frame, and embedding each step (SFace: 66 ms a face, mirror
        included) would cost most of the frame time for no change in the decision.
        """
        pending = [s for s in samples if _key(s) not in self.screened]
        held = len(samples) - len(pending)
        if self.embedded_count < match.min_agreeing_samples:
            return pending[: max(0, match.min_agreeing_samples - held)]
        gain = match.better_sample_gain
        return [s for s in pending if s.quality >= self.best_screened_quality + gain]


def _crop(
    image: npt.NDArray[np.uint8], box: npt.NDArray[np.float32], margin: float
) -> npt.NDArray[np.uint8]:
    x1, y1, x2, y2 = (float(v) for v in box)
    pad_x, pad_y = (x2 - x1) * margin, (y2 - y1) * margin
    height, width = image.shape[:2]
    left, top = max(0, int(x1 - pad_x)), max(0, int(y1 - pad_y))
    right, bottom = min(width, int(x2 + pad_x) + 1), min(height, int(y2 + pad_y) + 1)
    return np.ascontiguousarray(image[top:bottom, left:right])


class Pipeline:
    """Processes one camera's frames and returns alerts, at most one per track.

    Nothing about a face that matches nobody leaves this object: its samples live in memory
    only while its track is alive and are dropped when the track ends. With an empty
    watchlist no face is even embedded.

    Without ``detector`` and ``embedder`` it builds the ones ``config`` names, whichever
    plugins they are (``create_models`` builds the same, for callers that share them). The
    card defaults to the embedder's own (``Embedder.card_file``); a card or landmarks of
    another model are refused. The operating point is the one ``create_models`` built (or,
    without one, the card's under ``config.match``); every decision and alert carries it.
    """

    def __init__(
        self,
        config: ClearsightConfig,
        gallery: Gallery,
        card: CalibrationCard | None = None,
        detector: FaceDetector | None = None,
        embedder: Embedder | None = None,
        point: OperatingPoint | None = None,
    ) -> None:
        self.config = config
        self._embedder = embedder or create_embedder(config.embed)
        self._card = card or embedder_card(self._embedder)
        if self._card.model_id != self._embedder.model_id:
            raise ConfigError(
                f"the calibration card is for {self._card.model_id}, the embedder is "
                f"{self._embedder.model_id}; thresholds of one model mean nothing for another"
            )
        self.point = point or operating_point(self._card, config.match)
        check_point(self._card, self.point)
        # Well below the operating point: a track screened this high gets full templates and
        # a decision. The margin covers the screening's own error (SFace: 0.05 at most over
        # 79,800 LFW pairs), should a lax target bring the threshold down to the closer look.
        self._closer_look_score = min(
            self.point.threshold - _SCREENING_MARGIN,
            self._card.threshold_for_fmr(config.match.closer_look_fmr),
        )
        self._detector = detector or create_detector(config.detector)
        if self._detector.landmark_scheme != self._embedder.landmark_scheme:
            raise ConfigError(
                f"the detector gives {self._detector.landmark_scheme} landmarks, the embedder "
                f"{self._embedder.model_id} cuts its chips from {self._embedder.landmark_scheme} "
                "landmarks"
            )
        self._tracker = IouTracker(config.track)
        self._motion = MotionDetector(config.schedule)
        self._last_full: datetime | None = None
        self._last_alerted: dict[str, datetime] = {}
        self._tracks: dict[int, _TrackState] = {}
        self._gallery_lock = threading.Lock()
        self._gallery = gallery
        self._check_gallery(gallery)
        self.stats = PipelineStats()

    @property
    def threshold(self) -> float:
        """The score a sample must reach: the operating point's."""
        return self.point.threshold

    def _check_gallery(self, gallery: Gallery) -> None:
        if len(gallery) and gallery.model_id != self._embedder.model_id:
            raise ValueError(
                f"watchlist templates are from {gallery.model_id}, the embedder is "
                f"{self._embedder.model_id}; re-enrol with the same model"
            )

    def set_gallery(self, gallery: Gallery) -> None:
        """Swap in a new watchlist without pausing (the next decision uses it)."""
        self._check_gallery(gallery)
        with self._gallery_lock:
            self._gallery = gallery

    @contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stats.stage_seconds[stage] += time.perf_counter() - start

    def process(self, frame: Frame) -> list[Alert]:
        """Analyse one frame; alerts for tracks whose identity was decided on it."""
        self.stats.frames += 1
        with self._timed("detect"):
            scheduled = self._detect(frame)
        if scheduled is None:
            return []  # nothing moved: tracks hold, nothing new to see
        detections = scheduled
        with self._timed("track"):
            detections = self._tracker.update(detections)
            ended = self._tracker.last_event.ended
        self.stats.tracks = self._tracker.tracks_started
        self.stats.faces += len(detections)
        for track_id in ended:
            self._tracks.pop(track_id, None)  # dropped: nothing of a non-match is kept
        with self._gallery_lock:
            gallery = self._gallery
        if len(gallery) == 0 or len(detections) == 0:
            return []
        touched = self._collect_samples(frame, detections)
        return self._decide(touched, gallery)

    def _detect(self, frame: Frame) -> FaceDetections | None:
        """Detect where needed: the whole frame now and then, else around tracks and motion.

        Returns None when nothing moved, so the caller leaves the tracks as they are.
        """
        schedule = self.config.schedule
        if not schedule.enabled:
            self.stats.full_detections += 1
            return self._detector.detect_boxes(frame.image)
        with self._timed("motion"):
            motion = self._motion.update(frame.image)
        if self._full_search_due(frame.capture_time):
            self._last_full = frame.capture_time
            self.stats.full_detections += 1
            return self._detector.detect_boxes(frame.image)
        if not motion.moving:
            self.stats.skipped_detections += 1
            return None
        predicted = self._tracker.predicted_boxes()
        track_regions = expand_boxes(predicted, schedule.track_margin, frame.width, frame.height)
        covered = (
            iou_matrix(motion.boxes, track_regions).max(axis=1) > 0 if len(track_regions) else None
        )
        new_motion = motion.boxes if covered is None else motion.boxes[~covered]
        self.stats.region_detections += 1
        widths = (predicted[:, 2] - predicted[:, 0]).astype(np.float32)
        # A face cut by its tight region is dropped, to be looked for again more widely.
        around_tracks = detect_in_regions(
            self._detector, frame.image, track_regions, widths, landmarks=False,
            drop_cut_faces=True,
        )  # fmt: skip
        found = self._widen_for_missed(frame, predicted, around_tracks)
        if len(new_motion) == 0:
            return found
        unknown_widths = np.full(len(new_motion), np.nan, np.float32)
        in_motion = detect_in_regions(
            self._detector, frame.image, new_motion, unknown_widths, landmarks=False
        )
        return non_max_suppression(concat_detections([found, in_motion]))

    def _full_search_due(self, capture_time: datetime) -> bool:
        if self._last_full is None:
            return True
        elapsed = (capture_time - self._last_full).total_seconds()
        # A clock or replay that steps back (a looped file) starts a fresh interval.
        return elapsed < 0 or elapsed >= self.config.schedule.full_frame_interval_s

    def _widen_for_missed(
        self, frame: Frame, predicted: npt.NDArray[np.float32], found: FaceDetections
    ) -> FaceDetections:
        """Search a wider region around tracks whose face the tight region did not hold.

        A tight region is cheap (HOG's cost grows with its area) and holds the face on
        most frames; a face that moved or grew faster than predicted gets a second look
        with ``schedule.track_retry_margin`` before its track counts a miss.
        """
        if len(predicted) == 0:
            return found
        if len(found):
            held = iou_matrix(predicted, found.boxes).max(axis=1) >= self.config.track.iou_threshold
            missed = predicted[~held]
        else:
            missed = predicted
        if len(missed) == 0:
            return found
        self.stats.widened_searches += len(missed)
        wide = expand_boxes(
            missed, self.config.schedule.track_retry_margin, frame.width, frame.height
        )
        widths = (missed[:, 2] - missed[:, 0]).astype(np.float32)
        more = detect_in_regions(self._detector, frame.image, wide, widths, landmarks=False)
        return non_max_suppression(concat_detections([found, more])) if len(more) else found

    def _collect_samples(self, frame: Frame, detections: FaceDetections) -> set[int]:
        touched: set[int] = set()
        with self._timed("quality"):
            for track_id in detections.track_ids:
                if int(track_id) not in self._tracks:
                    self._tracks[int(track_id)] = _TrackState(
                        BestSamples(self.config.quality.samples_per_track)
                    )
            # A track that alerted or spent its embedding budget needs no more samples,
            # so no chip is cut for it.
            budget = self.config.match.max_embeddings_per_track
            wanted = np.array(
                [self._tracks[int(t)].wants_samples(budget) for t in detections.track_ids], bool
            )
            candidates = detections[np.flatnonzero(wanted)]
            if len(candidates) == 0:
                return touched
            if np.isnan(candidates.landmarks).any():
                # Detection left them out (tracking needs boxes only): found now, on the
                # full-resolution frame, for these faces alone.
                candidates = locate_landmarks(frame.image, candidates)
            # Size and pose first: a chip is cut only for a face that could be usable and
            # could enter its track's best samples even if perfectly sharp.
            geometries = [
                assess_geometry(
                    float(width), points, self.config.quality, self._embedder.landmark_scheme
                )
                for width, points in zip(candidates.widths, candidates.landmarks, strict=True)
            ]
            promising = [
                row
                for row, geometry in enumerate(geometries)
                if geometry.usable
                and self._tracks[int(candidates.track_ids[row])].samples.would_keep(
                    geometry.score_ceiling
                )
            ]
            if not promising:
                return touched
            candidates = candidates[np.array(promising)]
            chips = self._embedder.cut_chips(frame.image, candidates)
            for index, chip in enumerate(chips):
                track_id = int(candidates.track_ids[index])
                state = self._tracks[track_id]
                quality = assess_chip(geometries[promising[index]], chip, self.config.quality)
                if not quality.usable or not state.samples.would_keep(quality.score):
                    continue
                box = candidates.boxes[index]
                sample = FaceSample(
                    track_id=track_id,
                    source=frame.source,
                    capture_time=frame.capture_time,
                    frame_index=frame.index,
                    box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                    quality=quality.score,
                    crop=_crop(frame.image, box, self.config.alert.crop_margin),
                    chip=chip,
                )
                state.samples.offer(sample)
                touched.add(track_id)
        return touched

    def _decide(self, touched: set[int], gallery: Gallery) -> list[Alert]:
        alerts: list[Alert] = []
        for track_id in sorted(touched):
            state = self._tracks[track_id]
            samples = state.samples.best_first()
            kept_ids = {_key(sample) for sample in samples}
            state.embeddings = {k: v for k, v in state.embeddings.items() if k in kept_ids}
            state.screened &= kept_ids
            match = self.config.match
            budget = max(0, match.max_embeddings_per_track - state.embedded_count)
            if not state.near(self._closer_look_score):
                self._screen(state, state.worth_screening(samples, match)[:budget], gallery)
                budget = max(0, match.max_embeddings_per_track - state.embedded_count)
            if not state.near(self._closer_look_score):
                continue  # no sample near anyone on the watchlist: nothing to decide
            pending = [s for s in samples if _key(s) not in state.embeddings][:budget]
            if pending:
                with self._timed("embed"):
                    vectors = self._embedder.embed([s.chip for s in pending])
                for sample, vector in zip(pending, vectors, strict=True):
                    state.embeddings[_key(sample)] = vector
                state.embedded_count += len(pending)
                self.stats.embeddings += len(pending)
            embedded = [s for s in samples if _key(s) in state.embeddings]
            if len(embedded) < self.config.match.min_agreeing_samples:
                continue
            with self._timed("match"):
                decision = decide_track(
                    track_id,
                    np.stack([state.embeddings[_key(s)] for s in embedded]),
                    np.array([s.quality for s in embedded], np.float32),
                    gallery,
                    self._card,
                    self.point,
                    self.config.match,
                )
            if decision.best_score is not None:
                state.closest_score = max(state.closest_score or -1.0, decision.best_score)
            if decision.candidate is not None:
                state.alerted = True
                # Evidence is of the matched subject only; the rest of the samples go.
                alert = build_alert(decision, embedded, self.point)
                state.samples = BestSamples(0)
                state.embeddings = {}
                if self._repeats_recent_alert(alert):
                    self.stats.repeats_suppressed += 1
                    continue  # decided, and dropped with its evidence
                self._last_alerted[alert.subject_id] = alert.capture_time
                alerts.append(alert)
                self.stats.alerts += 1
        return alerts

    def _screen(self, state: _TrackState, chosen: list[FaceSample], gallery: Gallery) -> None:
        """Screen ``chosen`` against the watchlist: the track's closest score so far."""
        if not chosen:
            return
        with self._timed("embed"):
            vectors = self._embedder.screen([s.chip for s in chosen])
        with self._timed("match"):
            closest = float(gallery.top_subjects(vectors, 1).scores[:, 0].max())
        state.screened.update(_key(s) for s in chosen)
        state.embedded_count += len(chosen)
        state.best_screened_quality = max(state.best_screened_quality, *(s.quality for s in chosen))
        was_near = state.near(self._closer_look_score)
        state.closest_score = max(state.closest_score or -1.0, closest)
        self.stats.screenings += len(chosen)
        if not was_near and state.near(self._closer_look_score):
            self.stats.closer_looks += 1

    def _repeats_recent_alert(self, alert: Alert) -> bool:
        """Was this subject alerted on this camera less than ``alert.repeat_after_s`` ago?"""
        window = self.config.alert.repeat_after_s
        last = self._last_alerted.get(alert.subject_id)
        if window <= 0 or last is None:
            return False
        elapsed = (alert.capture_time - last).total_seconds()
        return 0 <= elapsed < window

    def flush(self) -> list[Alert]:
        """End of stream: end every track and drop what it held."""
        self._tracker.end_all()
        self._tracks.clear()
        return []
