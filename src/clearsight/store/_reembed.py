"""Re-embedding a watchlist with another model: the reference photos are kept (sealed), so
moving to a new embedder needs no new photos. Each photo whose template is of another model
gets the new model's template in its own transaction, and each change is audit-logged; a
photo the new model cannot use (no face, several faces, too poor) keeps its old template and
is reported, so nothing is lost and a second run picks up only what is left."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import undefer

from clearsight.audit import AuditAction, AuditEvent
from clearsight.errors import ClearsightError
from clearsight.store import _audit_log
from clearsight.store._blobs import BlobCipher
from clearsight.store._database import Database
from clearsight.store._tables import ReferencePhoto
from clearsight.store._watchlist import EnrolledPhoto, open_photo_image, seal_photo
from clearsight.types import Embedding

__all__ = ["ReembedReport", "reembed_watchlist"]

EmbedPhoto = Callable[[bytes, str], Embedding]
"""Turns one stored reference image (encoded bytes, a name for messages) into a template of
the new model, raising a ClearsightError naming why it cannot."""


@dataclass(frozen=True)
class ReembedReport:
    model_id: str
    examined: int
    reembedded: int
    already_current: int
    failed: dict[str, str] = field(default_factory=dict)
    """Photo id -> why the new model could not use it (its old template is kept)."""


def reembed_watchlist(
    db: Database, cipher: BlobCipher, model_id: str, embed_photo: EmbedPhoto, actor: str
) -> ReembedReport:
    with db.session() as session:
        rows = session.execute(select(ReferencePhoto.id, ReferencePhoto.model_id)).all()
    examined = len(rows)
    current = sum(1 for _, photo_model in rows if photo_model == model_id)
    done = 0
    failed: dict[str, str] = {}
    for photo_id, photo_model in rows:
        if photo_model == model_id:
            continue
        with db.session() as session:
            photo = session.execute(
                select(ReferencePhoto)
                .where(ReferencePhoto.id == photo_id)
                .options(undefer(ReferencePhoto.image), undefer(ReferencePhoto.template))
            ).scalar_one_or_none()
            if photo is None or photo.model_id == model_id:  # deleted or done meanwhile
                continue
            image = open_photo_image(cipher, photo)
            try:
                embedding = embed_photo(image, f"reference photo {photo_id}")
            except ClearsightError as error:
                failed[photo_id] = str(error)
                continue
            _, template = seal_photo(cipher, photo_id, EnrolledPhoto(image, embedding))
            photo.template = template
            photo.model_id = embedding.model_id
            _audit_log.append(
                session,
                AuditEvent(
                    actor,
                    AuditAction.WATCHLIST_REEMBEDDED,
                    "watchlist_entry",
                    photo.entry_id,
                    reason=f"template re-computed with {embedding.model_id}",
                    details={"photo": photo_id, "previous_model": photo_model},
                ),
            )
            done += 1
    return ReembedReport(model_id, examined, done, current, failed)
