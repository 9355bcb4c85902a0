from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from clearsight.config import TrackConfig
from clearsight.types import FaceDetections, iou_matrix


@dataclass
class _LiveTrack:
    track_id: int
    box: npt.NDArray[np.float32]
    velocity: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(4, np.float32))
    missed: int = 0

    def predicted(self) -> npt.NDArray[np.float32]:
        return self.box + self.velocity * (self.missed + 1)


@dataclass(frozen=True)
class TrackEvent:
    """The tracks that ended on this update (unseen for longer than allowed)."""

    ended: tuple[int, ...]


class IouTracker:
    """Associates detections to tracks by IoU with a constant-velocity prediction.

    The assignment is optimal per frame (Hungarian); a track unseen for more than
    ``max_missed_frames`` ends. ``update`` returns new detections with ``track_ids`` set
    and records ended tracks in ``last_event``.
    """

    def __init__(self, config: TrackConfig | None = None) -> None:
        self._config = config or TrackConfig()
        self._tracks: list[_LiveTrack] = []
        self._next_id = 1
        self.last_event = TrackEvent(ended=())

    @property
    def active_ids(self) -> tuple[int, ...]:
        return tuple(track.track_id for track in self._tracks)

    @property
    def tracks_started(self) -> int:
        return self._next_id - 1

    def predicted_boxes(self) -> npt.NDArray[np.float32]:
        """Where each live track is expected in the next frame, (tracks, 4)."""
        return np.array([t.predicted() for t in self._tracks], np.float32).reshape(-1, 4)

    def update(self, detections: FaceDetections) -> FaceDetections:
        predicted = np.array([t.predicted() for t in self._tracks], np.float32).reshape(-1, 4)
        overlap = iou_matrix(predicted, detections.boxes)
        ids = np.full(len(detections), -1, np.int64)
        matched_tracks: set[int] = set()
        if overlap.size:
            rows, cols = linear_sum_assignment(-overlap)
            for row, col in zip(rows, cols, strict=True):
                if overlap[row, col] < self._config.iou_threshold:
                    continue
                track = self._tracks[row]
                new_box = detections.boxes[col].astype(np.float32)
                track.velocity = 0.5 * track.velocity + 0.5 * (new_box - track.box) / (
                    track.missed + 1
                )
                track.box = new_box
                track.missed = 0
                ids[col] = track.track_id
                matched_tracks.add(row)
        ended: list[int] = []
        survivors: list[_LiveTrack] = []
        for index, track in enumerate(self._tracks):
            if index not in matched_tracks:
                track.missed += 1
                if track.missed > self._config.max_missed_frames:
                    ended.append(track.track_id)
                    continue
            survivors.append(track)
        for col in np.flatnonzero(ids < 0):
            track = _LiveTrack(self._next_id, detections.boxes[col].astype(np.float32))
            self._next_id += 1
            survivors.append(track)
            ids[col] = track.track_id
        self._tracks = survivors
        self.last_event = TrackEvent(ended=tuple(ended))
        return detections.with_track_ids(ids)

    def end_all(self) -> tuple[int, ...]:
        """End every live track (end of stream)."""
        ended = self.active_ids
        self._tracks = []
        return ended
