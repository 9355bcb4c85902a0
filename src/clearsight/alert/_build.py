from __future__ import annotations

import uuid
from collections.abc import Sequence

from clearsight.types import Alert, FaceSample, OperatingPoint, TrackDecision


def build_alert(
    decision: TrackDecision, samples: Sequence[FaceSample], point: OperatingPoint
) -> Alert:
    """The alert for a matched track, decided at ``point``; the evidence is its
    highest-quality sample.

    The alert id is random (uuid4) so it reveals nothing about the person or the camera.
    """
    if decision.candidate is None:
        raise ValueError(f"track {decision.track_id} has no match to alert on")
    if not samples:
        raise ValueError(f"track {decision.track_id} has no samples for evidence")
    best = max(samples, key=lambda sample: sample.quality)
    candidate = decision.candidate
    return Alert(
        alert_id=uuid.uuid4().hex,
        subject_id=candidate.subject_id,
        subject_name=candidate.subject_name,
        track_id=decision.track_id,
        score=candidate.score,
        estimate=candidate.estimate,
        capture_time=best.capture_time,
        source=best.source,
        best_crop=best.crop,
        samples_used=decision.samples_used,
        agreeing_samples=decision.agreeing_samples,
        operating_point=point,
    )
