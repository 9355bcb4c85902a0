"""Watchlist governance: enrol, approve by a different person, expire and purge, and the
gallery of approved entries that camera workers match against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, undefer

from clearsight.audit import SYSTEM_ACTOR, AuditAction, AuditEvent
from clearsight.errors import InputError, NotFoundError, PolicyError, StoreError
from clearsight.match import Gallery
from clearsight.review import ReviewPolicy
from clearsight.store import _audit_log
from clearsight.store._accounts import is_approved, one_person
from clearsight.store._blobs import BlobCipher
from clearsight.store._enums import EntryStatus, ReasonCategory
from clearsight.store._tables import ReferencePhoto, User, WatchlistEntry
from clearsight.store._types import new_id
from clearsight.types import Embedding

TEMPLATE_DIMENSIONS = 128
PURGED = "[purged]"


@dataclass(frozen=True)
class EntryDraft:
    """What an enroller submits for a new watchlist entry."""

    name: str
    reason_category: ReasonCategory
    incident_ref: str
    notes: str
    attested_not_minor: bool
    expires_at: datetime | None = None
    site: str = ""  # the one site the entry is matched at; '' = every site


@dataclass(frozen=True, eq=False)
class EnrolledPhoto:
    """A reference photo after enrolment: the encoded face image and its template."""

    image_png: bytes
    embedding: Embedding


@dataclass(frozen=True)
class ExpiryRule:
    default: timedelta = timedelta(days=730)
    maximum: timedelta = timedelta(days=730)


def _validate(
    draft: EntryDraft, photos: Sequence[EnrolledPhoto], now: datetime, rule: ExpiryRule
) -> datetime:
    for field, value in (
        ("name", draft.name),
        ("incident reference", draft.incident_ref),
        ("notes", draft.notes),
    ):
        if not value.strip():
            raise InputError(f"watchlist entry: {field} must not be empty")
    if not draft.attested_not_minor:
        raise PolicyError(
            "watchlist entry: the enroller must attest that the person is not known to be under 18"
        )
    if not photos:
        raise InputError("watchlist entry: at least one reference photo is required")
    for photo in photos:
        if photo.embedding.vector.shape != (TEMPLATE_DIMENSIONS,):
            raise InputError(
                f"watchlist entry: template has {photo.embedding.vector.shape} "
                f"values, expected {TEMPLATE_DIMENSIONS}"
            )
    expires_at = draft.expires_at or now + rule.default
    if expires_at <= now:
        raise InputError("watchlist entry: the expiry must be in the future")
    if expires_at > now + rule.maximum:
        raise PolicyError(
            f"watchlist entry: the expiry may be at most {rule.maximum.days} days away"
        )
    return expires_at


def seal_photo(cipher: BlobCipher, photo_id: str, photo: EnrolledPhoto) -> tuple[bytes, bytes]:
    vector = np.asarray(photo.embedding.vector, np.float32).tobytes()
    return (
        cipher.seal(photo.image_png, f"reference_photos:{photo_id}:image"),
        cipher.seal(vector, f"reference_photos:{photo_id}:template"),
    )


def create_entry(
    session: Session,
    cipher: BlobCipher,
    draft: EntryDraft,
    photos: Sequence[EnrolledPhoto],
    enroller: User,
    now: datetime,
    rule: ExpiryRule,
) -> WatchlistEntry:
    expires_at = _validate(draft, photos, now, rule)
    if draft.site.strip():
        from clearsight.store._sites import parse_sites

        parse_sites([draft.site.strip()])  # InputError naming a bad site
    entry = WatchlistEntry(
        id=new_id(),
        name=draft.name.strip(),
        reason_category=draft.reason_category.value,
        incident_ref=draft.incident_ref.strip(),
        notes=draft.notes.strip(),
        enrolled_by=enroller.id,
        status=EntryStatus.PENDING_APPROVAL.value,
        attested_not_minor=True,
        created_at=now,
        expires_at=expires_at,
        site=draft.site.strip(),
    )
    for photo in photos:
        photo_id = new_id()
        image, template = seal_photo(cipher, photo_id, photo)
        entry.photos.append(
            ReferencePhoto(
                id=photo_id,
                image=image,
                template=template,
                model_id=photo.embedding.model_id,
                created_at=now,
            )
        )
    session.add(entry)
    session.flush()
    _audit_log.append(
        session,
        AuditEvent(
            enroller.username,
            AuditAction.WATCHLIST_CREATED,
            "watchlist_entry",
            entry.id,
            reason=f"{draft.reason_category.value}: incident {entry.incident_ref}",
            details={"photos": str(len(photos)), "expires_at": expires_at.isoformat()},
        ),
        at=now,
    )
    return entry


def get_entry(session: Session, entry_id: str) -> WatchlistEntry:
    entry = session.get(WatchlistEntry, entry_id, options=[selectinload(WatchlistEntry.photos)])
    if entry is None:
        raise NotFoundError(f"watchlist entry {entry_id} does not exist")
    return entry


def list_entries(session: Session) -> list[WatchlistEntry]:
    return list(session.scalars(select(WatchlistEntry).order_by(WatchlistEntry.created_at.desc())))


def approve_entry(
    session: Session,
    entry_id: str,
    approver: User,
    now: datetime,
    reason: str = "",
    linked_within: timedelta = ReviewPolicy().review_window,
) -> WatchlistEntry:
    """Approve a pending entry. The approver must be a different person from the enroller:
    another account, approved, that neither set up the enroller's account nor was set up by
    it, nor was set up by the same admin within ``linked_within`` (the review window)."""
    _audit_log.lock_chain(session)
    entry = get_entry(session, entry_id)
    if entry.status != EntryStatus.PENDING_APPROVAL.value:
        raise PolicyError(f"watchlist entry {entry_id} is {entry.status}, not pending approval")
    if entry.enrolled_by == approver.id:
        raise PolicyError(
            f"watchlist entry {entry_id}: the approver must be a different person from the enroller"
        )
    if not is_approved(approver):
        raise PolicyError(
            f"{approver.username}'s account waits for a second admin's approval; it cannot "
            "approve entries yet"
        )
    enroller = session.get(User, entry.enrolled_by)
    why = one_person(enroller, approver, now, linked_within) if enroller else None
    if why is not None:
        raise PolicyError(
            f"watchlist entry {entry_id}: the approver must be a different person from the "
            f"enroller ({why})"
        )
    if entry.expires_at <= now:
        raise PolicyError(f"watchlist entry {entry_id} has expired")
    entry.status = EntryStatus.APPROVED.value
    entry.approved_by = approver.id
    entry.approved_at = now
    _audit_log.append(
        session,
        AuditEvent(
            approver.username,
            AuditAction.WATCHLIST_APPROVED,
            "watchlist_entry",
            entry.id,
            reason=reason,
        ),
        at=now,
    )
    return entry


def purge_expired(session: Session, now: datetime) -> list[str]:
    """Expire every entry past its expiry: its photos and templates are deleted, its name and
    notes blanked; the category and incident reference stay for the audit trail."""
    _audit_log.lock_chain(session)
    entries = session.scalars(
        select(WatchlistEntry)
        .where(
            # Rejected and withdrawn entries were purged when they were closed.
            WatchlistEntry.status.in_(
                [EntryStatus.PENDING_APPROVAL.value, EntryStatus.APPROVED.value]
            ),
            WatchlistEntry.expires_at <= now,
        )
        .options(selectinload(WatchlistEntry.photos))
    ).all()
    for entry in entries:
        purge_entry(session, entry, now, "expiry reached; photos and templates purged")
    return [entry.id for entry in entries]


def purge_entry(session: Session, entry: WatchlistEntry, now: datetime, reason: str) -> None:
    """Delete an entry's photos and templates, blank its name and notes, mark it expired."""
    photos = len(entry.photos)
    entry.photos.clear()
    entry.status = EntryStatus.EXPIRED.value
    entry.name = PURGED
    entry.notes = PURGED
    entry.purged_at = now
    _audit_log.append(
        session,
        AuditEvent(
            SYSTEM_ACTOR,
            AuditAction.WATCHLIST_EXPIRED,
            "watchlist_entry",
            entry.id,
            reason=reason,
            details={"photos_purged": str(photos)},
        ),
        at=now,
    )


def approved_gallery(
    session: Session, now: datetime, cipher: BlobCipher | None = None, model_id: str | None = None
) -> Gallery:
    """Templates of approved entries that have not expired at ``now``, for matching.

    An entry past its expiry is left out even before ``purge_expired`` runs, so it stops
    matching at once. ``model_id`` picks one model's templates; without it the templates must
    all come from one model.
    """
    from clearsight.store._blobs import IdentityCipher

    cipher = cipher or IdentityCipher()
    query = (
        select(ReferencePhoto, WatchlistEntry.name)
        .join(WatchlistEntry, ReferencePhoto.entry_id == WatchlistEntry.id)
        .where(WatchlistEntry.status == EntryStatus.APPROVED.value, WatchlistEntry.expires_at > now)
        .order_by(WatchlistEntry.id, ReferencePhoto.id)
        .options(undefer(ReferencePhoto.template))
    )
    if model_id is not None:
        query = query.where(ReferencePhoto.model_id == model_id)
    rows = session.execute(query).all()
    models = {photo.model_id for photo, _ in rows}
    if len(models) > 1:
        raise StoreError(
            f"the watchlist holds templates of several models {sorted(models)}; "
            "choose one with model_id"
        )
    entries = []
    for photo, name in rows:
        raw = cipher.open(photo.template, f"reference_photos:{photo.id}:template")
        entries.append((photo.entry_id, name, np.frombuffer(raw, np.float32).copy()))
    return Gallery.build(model_id or (models.pop() if models else ""), entries)


def open_photo_image(cipher: BlobCipher, photo: ReferencePhoto) -> bytes:
    return cipher.open(photo.image, f"reference_photos:{photo.id}:image")
