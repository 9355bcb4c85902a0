"""Key rotation over the whole store: every sealed blob re-encrypted under the active key.

Each blob is replaced by its own compare-and-swap transaction (``blob_replacer``), so a
rotation killed at any point leaves every blob readable with the old or the new key, and a
second run finishes the rest. The start and the end of each pass are audit-logged (counts and
key ids only; never key material or blob contents).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from clearsight.audit import AuditAction, AuditEvent
from clearsight.store import _audit_log
from clearsight.store._database import Database
from clearsight.store._sealed import blob_replacer, sealed_records

if TYPE_CHECKING:
    from clearsight.crypto import BlobCipher, EncryptedRecord, RotationReport

RecordCallback = Callable[["EncryptedRecord", bool], None]


def rotate_store(
    db: Database,
    cipher: BlobCipher,
    actor: str,
    on_record: RecordCallback | None = None,
) -> RotationReport:
    """Re-encrypt every sealed blob not yet under ``cipher``'s active key; audit the pass."""
    from clearsight.crypto import rotate

    ring = cipher.ring
    with db.session() as session:
        _audit_log.append(
            session,
            AuditEvent(
                actor,
                AuditAction.KEYS_ROTATION_STARTED,
                "key_ring",
                ring.active.key_id,
                reason="re-encrypt face images and templates under the active key",
                details={"keys_in_ring": ",".join(ring.key_ids)},
            ),
        )
    report = rotate(sealed_records(db), cipher, blob_replacer(db), on_record)
    with db.session() as session:
        _audit_log.append(
            session,
            AuditEvent(
                actor,
                AuditAction.KEYS_ROTATED,
                "key_ring",
                report.active_key_id,
                reason="rotation pass finished",
                details={
                    "examined": str(report.examined),
                    "reencrypted": str(report.reencrypted),
                    "already_current": str(report.already_current),
                    "changed_meanwhile": str(report.changed_meanwhile),
                },
            ),
        )
    return report
