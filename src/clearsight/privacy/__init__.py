"""Privacy by design: redaction of faces in stills and videos, the public notice (signage),
the privacy impact assessment draft, subject-access packages, and the ``[privacy]`` config
section.

Nothing here infers anything about a person: faces are only located, to hide them.
"""

from clearsight.privacy._assessment import build_assessment
from clearsight.privacy._config import DeploymentConfig, PrivacyConfig, load_privacy_config
from clearsight.privacy._document import Bullets, Document, Heading, Paragraph, Table
from clearsight.privacy._figures import EvaluationFigures, read_evaluation_outputs
from clearsight.privacy._notice import build_notice
from clearsight.privacy._redact import (
    RedactedStill,
    RedactionDetector,
    RedactionSettings,
    RedactionStyle,
    enlarged_boxes,
    hide_all_except,
    redact_boxes,
    redact_still,
    redaction_detector,
)
from clearsight.privacy._render import render_html, render_pdf, write_document
from clearsight.privacy._subject_access import (
    AccessItem,
    StoredTemplate,
    SubjectMatch,
    find_subject_records,
    write_access_package,
)
from clearsight.privacy._video import (
    KeptFace,
    TrackSummary,
    VideoRedaction,
    VideoRedactionOptions,
    redact_video,
)

__all__ = [
    "AccessItem",
    "Bullets",
    "DeploymentConfig",
    "Document",
    "EvaluationFigures",
    "Heading",
    "KeptFace",
    "Paragraph",
    "PrivacyConfig",
    "RedactedStill",
    "RedactionDetector",
    "RedactionSettings",
    "RedactionStyle",
    "StoredTemplate",
    "SubjectMatch",
    "Table",
    "TrackSummary",
    "VideoRedaction",
    "VideoRedactionOptions",
    "build_assessment",
    "build_notice",
    "enlarged_boxes",
    "find_subject_records",
    "hide_all_except",
    "load_privacy_config",
    "read_evaluation_outputs",
    "redact_boxes",
    "redact_still",
    "redact_video",
    "redaction_detector",
    "render_html",
    "render_pdf",
    "write_access_package",
    "write_document",
]
