"""Enrolment: a reference photo checked and turned into a template, or refused with the reason;
and every face of a photo with its quality and template."""

from clearsight.enrollment._enroll import (
    REFERENCE_MIN_FACE_PX,
    EnrolledFace,
    Face,
    enroll_face,
    find_faces,
    reference_detector,
)

__all__ = [
    "REFERENCE_MIN_FACE_PX",
    "EnrolledFace",
    "Face",
    "enroll_face",
    "find_faces",
    "reference_detector",
]
