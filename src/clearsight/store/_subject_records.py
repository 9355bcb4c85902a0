"""The store's side of subject access and erasure: every stored face as a searchable
record, the non-biometric facts to disclose, and erasure with an audit record per deletion.

Erasure deletes rows outright (a watchlist entry with its photos and templates, and every
alert raised against it; an alert with its crops and review decisions). What stays is the
audit log: who erased which record id, when, under which request, and how many images went,
never a name, image or template.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, undefer

from clearsight.audit import AuditAction, AuditEvent
from clearsight.store import _audit_log
from clearsight.store._alerts import open_crop
from clearsight.store._blobs import BlobCipher
from clearsight.store._enums import EntryStatus
from clearsight.store._tables import (
    AlertCrop,
    AlertDelivery,
    AlertRecord,
    ReferencePhoto,
    ReviewDecisionRecord,
    WatchlistEntry,
)
from clearsight.store._watchlist import open_photo_image
from clearsight.types import Embedding


@dataclass(frozen=True, eq=False)
class StoredFace:
    """One stored face: the record it belongs to and its PNG (sealed bytes opened)."""

    kind: str  # "watchlist_entry" or "alert"
    record_id: str
    blob_id: str
    png: bytes


def reference_templates(
    session: Session, cipher: BlobCipher, model_id: str
) -> list[tuple[str, Embedding]]:
    """``(entry id, template)`` of every reference photo of ``model_id`` not yet purged."""
    rows = session.scalars(
        select(ReferencePhoto)
        .join(WatchlistEntry, ReferencePhoto.entry_id == WatchlistEntry.id)
        .where(
            WatchlistEntry.status != EntryStatus.EXPIRED.value,
            ReferencePhoto.model_id == model_id,
        )
        .order_by(ReferencePhoto.id)
        .options(undefer(ReferencePhoto.template))
    )
    found = []
    for photo in rows:
        raw = cipher.open(photo.template, f"reference_photos:{photo.id}:template")
        found.append((photo.entry_id, Embedding(np.frombuffer(raw, np.float32).copy(), model_id)))
    return found


def alert_faces(
    session: Session, cipher: BlobCipher, alert_id: str | None = None
) -> Iterator[StoredFace]:
    """Every alert crop still held (or one alert's), opened (the caller embeds them)."""
    query = (
        select(AlertCrop)
        .order_by(AlertCrop.alert_id, AlertCrop.position)
        .options(undefer(AlertCrop.image))
    )
    if alert_id is not None:
        query = query.where(AlertCrop.alert_id == alert_id)
    crops = session.scalars(query)
    for crop in crops:
        yield StoredFace("alert", crop.alert_id, crop.id, open_crop(cipher, crop))


def entry_faces(session: Session, cipher: BlobCipher, entry_id: str) -> list[StoredFace]:
    photos = session.scalars(
        select(ReferencePhoto)
        .where(ReferencePhoto.entry_id == entry_id)
        .order_by(ReferencePhoto.created_at, ReferencePhoto.id)
        .options(undefer(ReferencePhoto.image))
    )
    return [
        StoredFace("watchlist_entry", entry_id, p.id, open_photo_image(cipher, p)) for p in photos
    ]


def alerts_of_entries(session: Session, entry_ids: Iterable[str]) -> list[str]:
    ids = list(entry_ids)
    if not ids:
        return []
    query = select(AlertRecord.id).where(AlertRecord.subject_id.in_(ids)).order_by(AlertRecord.id)
    return list(session.scalars(query))


def entry_facts(entry: WatchlistEntry) -> tuple[tuple[str, str], ...]:
    return (
        ("name", entry.name),
        ("reason_category", entry.reason_category),
        ("incident_ref", entry.incident_ref),
        ("notes", entry.notes),
        ("status", entry.status),
        ("enrolled_at", entry.created_at.isoformat()),
        ("expires_at", entry.expires_at.isoformat()),
    )


def alert_facts(alert: AlertRecord) -> tuple[tuple[str, str], ...]:
    return (
        ("watchlist_entry", alert.subject_id),
        ("camera_source", alert.source),
        ("captured_at", alert.capture_time.isoformat()),
        ("status", alert.status),
        ("match_score", f"{alert.score:.3f}"),
    )


@dataclass(frozen=True)
class ErasureRequest:
    """Who erases, why (their words), under which subject request, and when."""

    actor: str
    reason: str
    request_ref: str
    at: datetime


@dataclass(frozen=True)
class Erasure:
    """What one erasure deleted (ids only)."""

    entries: tuple[str, ...]
    alerts: tuple[str, ...]
    images: int


def _erase_alert(session: Session, alert: AlertRecord, request: ErasureRequest) -> int:
    crops = len(alert.crops)
    session.execute(delete(ReviewDecisionRecord).where(ReviewDecisionRecord.alert_id == alert.id))
    session.execute(delete(AlertCrop).where(AlertCrop.alert_id == alert.id))
    session.execute(delete(AlertDelivery).where(AlertDelivery.alert_id == alert.id))
    session.expire(alert)
    session.delete(alert)
    _audit_log.append(
        session,
        AuditEvent(
            request.actor,
            AuditAction.SUBJECT_ERASED,
            "alert",
            alert.id,
            reason=request.reason,
            details={"request": request.request_ref, "crops_deleted": str(crops)},
        ),
        at=request.at,
    )
    return crops


def erase(
    session: Session,
    entry_ids: Iterable[str],
    alert_ids: Iterable[str],
    request: ErasureRequest,
) -> Erasure:
    """Delete the entries (with every alert raised against them) and the alerts, auditing
    each deletion, in the caller's transaction. Ids already gone are skipped."""
    _audit_log.lock_chain(session)
    entries = [e for e in (session.get(WatchlistEntry, i) for i in sorted(set(entry_ids))) if e]
    all_alerts = set(alert_ids) | set(alerts_of_entries(session, [e.id for e in entries]))
    images = 0
    erased_alerts = []
    for alert_id in sorted(all_alerts):
        alert = session.get(AlertRecord, alert_id)
        if alert is not None:
            images += _erase_alert(session, alert, request)
            erased_alerts.append(alert_id)
    session.flush()
    for entry in entries:
        photos = len(entry.photos)
        images += photos
        session.execute(delete(ReferencePhoto).where(ReferencePhoto.entry_id == entry.id))
        session.expire(entry)
        session.delete(entry)
        _audit_log.append(
            session,
            AuditEvent(
                request.actor,
                AuditAction.SUBJECT_ERASED,
                "watchlist_entry",
                entry.id,
                reason=request.reason,
                details={"request": request.request_ref, "photos_deleted": str(photos)},
            ),
            at=request.at,
        )
    return Erasure(tuple(e.id for e in entries), tuple(erased_alerts), images)
