from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from clearsight.types._arrays import frozen_array


@dataclass(frozen=True, eq=False)
class Embedding:
    """A face template: an L2-normalised float32 vector and the id of the model that made it."""

    vector: npt.NDArray[np.float32]
    model_id: str

    def __post_init__(self) -> None:
        vector = np.asarray(self.vector, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0.0:
            raise ValueError("Embedding.vector must be finite and non-zero")
        object.__setattr__(self, "vector", frozen_array(vector / norm, np.float32))

    def similarity(self, other: Embedding) -> float:
        """Cosine similarity in [-1, 1]; higher means more alike."""
        if other.model_id != self.model_id:
            raise ValueError(f"cannot compare {self.model_id} with {other.model_id}")
        return float(np.dot(self.vector, other.vector))


@dataclass(frozen=True, eq=False)
class FaceSample:
    """One face of one track in one frame, with what is needed to match and to show it."""

    track_id: int
    source: str
    capture_time: datetime
    frame_index: int
    box: tuple[float, float, float, float]
    quality: float
    crop: npt.NDArray[np.uint8]
    """The face with some context, RGB, for a reviewer to look at."""
    chip: npt.NDArray[np.uint8]
    """The aligned 150x150 chip the embedder reads."""

    @property
    def face_width(self) -> float:
        return self.box[2] - self.box[0]


@dataclass(frozen=True)
class OperatingPoint:
    """The one score threshold every match decision is made at, and where it came from.

    Built once from the configured model's calibration card and the match config
    (``clearsight.match.operating_point``); every decision, comparison and alert carries it,
    nothing else computes a threshold.
    """

    model_id: str
    card_version: str
    target_fmr: float
    rule: str
    """``every-group``: the lowest score at which every group with enough data keeps its
    false match rate (upper end of its 95% interval) at or under the target; ``pooled``:
    all impostor comparisons of the card taken together, whoever they were."""
    threshold: float
    groups: tuple[str, ...]
    """The groups the threshold was judged on (empty for the pooled rule)."""
    groups_too_small: tuple[str, ...] = ()
    """Groups the card holds that have too little data to judge the target, by name."""


@dataclass(frozen=True)
class FmrEstimate:
    """How often a stranger scores at least this high: for the group the model confuses
    most at this score (with its 95% interval), and over all impostor comparisons pooled."""

    fmr: float
    low: float
    high: float
    group: str
    """The group whose false match rate at this score is highest ("" if the card has none)."""
    pooled_fmr: float


@dataclass(frozen=True)
class Candidate:
    """A possible match of a probe against one watchlist subject."""

    subject_id: str
    subject_name: str
    score: float
    estimate: FmrEstimate
    """The worst group's false match rate at ``score``, its interval and the pooled one."""

    @property
    def estimated_fmr(self) -> float:
        return self.estimate.fmr


@dataclass(frozen=True)
class TrackDecision:
    """The outcome of matching a whole track: a candidate, or None with the reason."""

    track_id: int
    candidate: Candidate | None
    samples_used: int
    agreeing_samples: int
    reason: str
    best_score: float | None = None
    """The highest score any sample reached against any subject (None without samples): how
    close a track that did not match came, so a caller can spend more samples on it."""


@dataclass(frozen=True, eq=False)
class Alert:
    """A candidate match of one track, with its evidence. One per track."""

    alert_id: str
    subject_id: str
    subject_name: str
    track_id: int
    score: float
    estimate: FmrEstimate
    """The worst group's false match rate at ``score``, its interval and the pooled one."""
    capture_time: datetime
    source: str
    best_crop: npt.NDArray[np.uint8]
    samples_used: int
    agreeing_samples: int
    operating_point: OperatingPoint
    """The threshold, rule, target, model and card version the alert was decided under."""

    @property
    def estimated_fmr(self) -> float:
        return self.estimate.fmr
