"""Encryption at rest: AES-256-GCM blobs under a key ring that lives outside the database.

Keys come from a key file or the ``CLEARSIGHT_KEY`` environment variable, never the database.
The ring's first key encrypts; older keys only decrypt, so a rotation can be interrupted and
re-run without any record becoming unreadable.
"""

from clearsight.crypto._cipher import MAGIC, BlobCipher, key_id_of
from clearsight.crypto._keyring import (
    KEY_ENV,
    KEY_FILE_ENV,
    DataKey,
    KeyRing,
    load_key_ring,
    new_key,
    parse_key_ring,
    read_key_file,
    write_key_file,
)
from clearsight.crypto._rotate import (
    EncryptedRecord,
    ReplaceBlob,
    RotationReport,
    check_readable,
    rotate,
)

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "MAGIC",
    "BlobCipher",
    "DataKey",
    "EncryptedRecord",
    "KeyRing",
    "ReplaceBlob",
    "RotationReport",
    "check_readable",
    "key_id_of",
    "load_key_ring",
    "new_key",
    "parse_key_ring",
    "read_key_file",
    "rotate",
    "write_key_file",
]
