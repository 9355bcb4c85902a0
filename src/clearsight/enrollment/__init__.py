"""Enrolment: a reference photo checked and turned into a template, or refused with the reason."""

from clearsight.enrollment._enroll import EnrolledFace, enroll_face, reference_detector

__all__ = ["EnrolledFace", "enroll_face", "reference_detector"]
