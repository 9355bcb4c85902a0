"""Privacy by design: redaction of faces in stills and videos, the public notice (signage),
and the privacy impact assessment draft.

Nothing here infers anything about a person: faces are only located, to hide them.
"""

from clearsight.privacy._redact import (
    RedactedStill,
    RedactionSettings,
    RedactionStyle,
    enlarged_boxes,
    redact_boxes,
    redact_still,
)
from clearsight.privacy._video import KeptFace, TrackSummary, VideoRedaction, redact_video

__all__ = [
    "KeptFace",
    "RedactedStill",
    "RedactionSettings",
    "RedactionStyle",
    "TrackSummary",
    "VideoRedaction",
    "enlarged_boxes",
    "redact_boxes",
    "redact_still",
    "redact_video",
]
