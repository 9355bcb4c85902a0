"""Closed vocabularies of the stored records."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    ENROLLER = "enroller"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    PRIVACY_OFFICER = "privacy_officer"  # subject access and erasure


class ReasonCategory(enum.StrEnum):
    """Why a person may be put on a watchlist; anything else is not a reason."""

    VIOLENCE = "violence"
    THREATS = "threats"
    REPEATED_SERIOUS_THEFT = "repeated_serious_theft"
    COURT_ORDER = "court_order"
    MISSING_PERSON = "missing_person"


class EntryStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    EXPIRED = "expired"
    REJECTED = "rejected"  # refused by an approver; photos and templates deleted
    WITHDRAWN = "withdrawn"  # taken back before approval; photos and templates deleted
