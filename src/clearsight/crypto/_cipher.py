from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clearsight.crypto._keyring import KeyRing
from clearsight.errors import CryptoError

MAGIC = b"CSG1"
"""First bytes of every blob: clearsight, AES-GCM, format 1."""
NONCE_BYTES = 12
_TAG_BYTES = 16


def _split(blob: bytes, name: str) -> tuple[bytes, str, bytes, bytes]:
    """(header, key id, nonce, ciphertext) of an encrypted blob."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
        raise CryptoError(f"{name}: not clearsight-encrypted data (unknown header)")
    id_length = blob[len(MAGIC)]
    nonce_start = len(MAGIC) + 1 + id_length
    body_start = nonce_start + NONCE_BYTES
    if len(blob) < body_start + _TAG_BYTES:
        raise CryptoError(f"{name}: encrypted data is truncated")
    try:
        key_id = blob[len(MAGIC) + 1 : nonce_start].decode("ascii")
    except UnicodeDecodeError as error:
        raise CryptoError(f"{name}: encrypted data has a corrupt header") from error
    return blob[:body_start], key_id, blob[nonce_start:body_start], blob[body_start:]


def _aad(header: bytes, associated_data: bytes) -> bytes:
    # The header (key id, nonce) is authenticated too, and the caller's associated data is
    # length-prefixed so no two (header, data) pairs authenticate the same bytes.
    return header + struct.pack(">Q", len(associated_data)) + associated_data


class BlobCipher:
    """AES-256-GCM envelope for blobs (reference photos, evidence crops, templates).

    A blob is ``CSG1 | key-id length | key id | 12-byte nonce | ciphertext and tag``. The
    ``associated_data`` (for example the record's table and id) is authenticated but not
    stored: a blob copied onto another record fails to decrypt instead of showing the wrong
    face. Encryption uses the ring's active key; decryption uses whichever key the header names.
    """

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    @property
    def ring(self) -> KeyRing:
        return self._ring

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        key = self._ring.active
        key_id = key.key_id.encode("ascii")
        header = MAGIC + bytes([len(key_id)]) + key_id + os.urandom(NONCE_BYTES)
        nonce = header[-NONCE_BYTES:]
        sealed = AESGCM(key.material).encrypt(nonce, plaintext, _aad(header, associated_data))
        return header + sealed

    def decrypt(self, blob: bytes, associated_data: bytes, *, name: str = "blob") -> bytes:
        """The plaintext, or a CryptoError naming ``name`` when the key is absent or wrong,
        the data was altered, or it belongs to another record."""
        header, key_id, nonce, body = _split(blob, name)
        try:
            key = self._ring.get(key_id)
        except CryptoError as error:
            raise CryptoError(f"{name}: {error}") from error
        try:
            return AESGCM(key.material).decrypt(nonce, body, _aad(header, associated_data))
        except InvalidTag as error:
            raise CryptoError(
                f"{name}: cannot decrypt with key {key_id!r}: the key is wrong, the data was "
                "altered, or it belongs to another record"
            ) from error

    def is_current(self, blob: bytes, *, name: str = "blob") -> bool:
        """Whether ``blob`` is already encrypted under the active key."""
        return key_id_of(blob, name=name) == self._ring.active.key_id


def key_id_of(blob: bytes, *, name: str = "blob") -> str:
    """The id of the key a blob was encrypted with (read from its header; no key needed)."""
    return _split(blob, name)[1]
