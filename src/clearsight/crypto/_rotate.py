from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from clearsight.crypto._cipher import BlobCipher


@dataclass(frozen=True, repr=False)
class EncryptedRecord:
    """One stored blob as the rotation sees it: an id, the associated data it was encrypted
    with, and the blob itself."""

    record_id: str
    associated_data: bytes
    blob: bytes

    def __repr__(self) -> str:
        return f"EncryptedRecord(record_id={self.record_id!r}, blob=<{len(self.blob)} bytes>)"


ReplaceBlob = Callable[[EncryptedRecord, bytes], bool]
"""``replace(record, new_blob)``: store ``new_blob`` for the record only if it still holds
``record.blob`` (compare-and-swap), durably (committed) before returning; True if replaced."""


@dataclass(frozen=True)
class RotationReport:
    """What one rotation pass did."""

    active_key_id: str
    examined: int
    reencrypted: int
    already_current: int
    changed_meanwhile: int
    """Records rewritten by someone else during the pass; a re-run picks them up."""

    @property
    def complete(self) -> bool:
        return self.changed_meanwhile == 0


def rotate(
    records: Iterable[EncryptedRecord],
    cipher: BlobCipher,
    replace: ReplaceBlob,
    on_record: Callable[[EncryptedRecord, bool], None] | None = None,
) -> RotationReport:
    """Re-encrypt every record not yet under the ring's active key, one record at a time.

    Safe to interrupt at any point: each record is replaced by one atomic write, and the
    ring keeps the old key beside the new active one until rotation has finished, so every
    record is readable at every moment. Re-running skips records already on the active key
    and finishes the rest. Retire the old key only after a pass reports ``complete`` with
    nothing re-encrypted. ``on_record(record, rewritten)`` is called after each record.
    """
    examined = reencrypted = current = changed = 0
    for record in records:
        examined += 1
        name = f"record {record.record_id}"
        if cipher.is_current(record.blob, name=name):
            current += 1
            rewritten = False
        else:
            plaintext = cipher.decrypt(record.blob, record.associated_data, name=name)
            new_blob = cipher.encrypt(plaintext, record.associated_data)
            rewritten = replace(record, new_blob)
            if rewritten:
                reencrypted += 1
            else:
                changed += 1
        if on_record is not None:
            on_record(record, rewritten)
    return RotationReport(cipher.ring.active.key_id, examined, reencrypted, current, changed)


def check_readable(records: Iterable[EncryptedRecord], cipher: BlobCipher) -> int:
    """Decrypt every record (discarding the plaintext); the count, or the first CryptoError."""
    count = 0
    for record in records:
        cipher.decrypt(record.blob, record.associated_data, name=f"record {record.record_id}")
        count += 1
    return count
