"""Privacy by design: redaction of faces in stills and videos, the public notice (signage),
the privacy impact assessment draft, subject-access packages, and the ``[privacy]`` config
section.

Nothing here infers anything about a person: faces are only located, to hide them.
"""

from typing import TYPE_CHECKING

from clearsight._lazy import lazy_attributes
from clearsight.privacy._assessment import build_assessment
from clearsight.privacy._config import OperatorConfig, PrivacyConfig
from clearsight.privacy._document import Bullets, Document, Heading, Paragraph, Table
from clearsight.privacy._figures import EvaluationFigures, read_evaluation_outputs
from clearsight.privacy._notice import build_notice

if TYPE_CHECKING:
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
    "Document",
    "EvaluationFigures",
    "Heading",
    "KeptFace",
    "OperatorConfig",
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

# OpenCV, the detectors, PyAV and ReportLab load on first use of the names that need them,
# so the config sections and the documents' text import without them.
_LAZY = {
    "AccessItem": "_subject_access",
    "KeptFace": "_video",
    "RedactedStill": "_redact",
    "RedactionDetector": "_redact",
    "RedactionSettings": "_redact",
    "RedactionStyle": "_redact",
    "StoredTemplate": "_subject_access",
    "SubjectMatch": "_subject_access",
    "TrackSummary": "_video",
    "VideoRedaction": "_video",
    "VideoRedactionOptions": "_video",
    "enlarged_boxes": "_redact",
    "find_subject_records": "_subject_access",
    "hide_all_except": "_redact",
    "redact_boxes": "_redact",
    "redact_still": "_redact",
    "redact_video": "_video",
    "redaction_detector": "_redact",
    "render_html": "_render",
    "render_pdf": "_render",
    "write_access_package": "_subject_access",
    "write_document": "_render",
}


if not TYPE_CHECKING:
    __getattr__ = lazy_attributes(__name__, _LAZY)
