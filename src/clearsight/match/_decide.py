from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clearsight.config import MatchConfig
from clearsight.match._calibration import CalibrationCard
from clearsight.match._gallery import Gallery
from clearsight.match._operating_point import estimate_fmr
from clearsight.types import Candidate, OperatingPoint, TrackDecision


def decide_track(
    track_id: int,
    embeddings: npt.NDArray[np.float32],
    qualities: npt.NDArray[np.float32],
    gallery: Gallery,
    card: CalibrationCard,
    point: OperatingPoint,
    config: MatchConfig,
) -> TrackDecision:
    """One identity for a whole track, or none, from its best samples.

    A sample votes for the subject it scores highest against, if that score reaches the
    operating point's threshold and no other subject is within the tie margin.
    The subject with the most quality-weighted votes wins if it has at least
    ``min_agreeing_samples`` votes and no rival subject has as many.
    """
    count = len(embeddings)
    if count == 0 or len(gallery) == 0:
        return TrackDecision(
            track_id, None, count, 0, "no samples" if count == 0 else "empty watchlist"
        )
    threshold = point.threshold
    # The two best subjects per sample, through the gallery's search (an index when large).
    hits = gallery.top_subjects(embeddings, 2)
    best = hits.subjects[:, 0]
    best_score = hits.scores[:, 0]
    runner_up = np.maximum(hits.scores[:, 1], -1.0)
    votes = (best_score >= threshold) & (best_score - runner_up > config.tie_margin)
    closest = float(best_score.max())
    if not bool(votes.any()):
        return TrackDecision(track_id, None, count, 0, "no sample passed the threshold", closest)
    weights = np.maximum(np.asarray(qualities, np.float64), 1e-6)
    tallies: dict[int, float] = {}
    for subject in np.unique(best[votes]):
        mask = votes & (best == subject)
        tallies[int(subject)] = float(weights[mask].sum())
    ranked = sorted(tallies, key=lambda s: -tallies[s])
    winner = ranked[0]
    winner_mask = votes & (best == winner)
    agreeing = int(winner_mask.sum())
    if agreeing < config.min_agreeing_samples:
        return TrackDecision(
            track_id,
            None,
            count,
            agreeing,
            f"only {agreeing} of {count} samples agree (need {config.min_agreeing_samples})",
            closest,
        )
    if len(ranked) > 1 and int((votes & (best == ranked[1])).sum()) >= agreeing:
        return TrackDecision(track_id, None, count, agreeing, "tie between subjects", closest)
    score = float(np.average(best_score[winner_mask], weights=weights[winner_mask]))
    candidate = Candidate(
        subject_id=gallery.subject_ids[winner],
        subject_name=gallery.subject_names[winner],
        score=score,
        estimate=estimate_fmr(card, point, score),
    )
    return TrackDecision(track_id, candidate, count, agreeing, "match", closest)
