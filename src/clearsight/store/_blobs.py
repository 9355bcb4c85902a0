"""The seam where face images and templates are sealed before they reach the database.

Every image and template the store writes goes through a ``BlobCipher``. ``IdentityCipher``
stores bytes as they are (the default while no key is configured); ``AesGcmCipher`` wraps
``clearsight.crypto`` (AES-256-GCM, keyed from a key file or an environment variable).
``purpose`` names what the bytes are, so an authenticated cipher can bind each blob to its
use (a reference image cannot be swapped in for an alert crop unnoticed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from clearsight.crypto import BlobCipher as CryptoBlobCipher


class BlobCipher(Protocol):
    def seal(self, plaintext: bytes, purpose: str) -> bytes:
        """Bytes to store for ``plaintext``."""
        ...

    def open(self, stored: bytes, purpose: str) -> bytes:
        """The plaintext of bytes ``seal`` returned; raises if they were tampered with."""
        ...


class IdentityCipher:
    """No encryption: what you seal is what is stored. The default until a key is configured."""

    def seal(self, plaintext: bytes, purpose: str) -> bytes:
        return bytes(plaintext)

    def open(self, stored: bytes, purpose: str) -> bytes:
        return bytes(stored)


class AesGcmCipher:
    """AES-256-GCM at rest through ``clearsight.crypto``: each blob is bound to its purpose
    (table, record id and column), so a blob moved to another record fails to open."""

    def __init__(self, cipher: CryptoBlobCipher) -> None:
        self._cipher = cipher

    def seal(self, plaintext: bytes, purpose: str) -> bytes:
        return self._cipher.encrypt(plaintext, purpose.encode())

    def open(self, stored: bytes, purpose: str) -> bytes:
        return self._cipher.decrypt(stored, purpose.encode(), name=purpose)


def configured_cipher(
    key_file: Path | None, environ: Mapping[str, str] | None = None
) -> BlobCipher:
    """AES-GCM when a key is configured (``key_file``, ``$CLEARSIGHT_KEY`` or
    ``$CLEARSIGHT_KEY_FILE``), else ``IdentityCipher``. Camera workers use this too, so they
    seal what they store exactly as the service does."""
    from clearsight.crypto import KEY_ENV, KEY_FILE_ENV, load_key_ring
    from clearsight.crypto import BlobCipher as CryptoCipher

    env = os.environ if environ is None else environ
    if key_file is None and not (env.get(KEY_ENV, "").strip() or env.get(KEY_FILE_ENV, "").strip()):
        return IdentityCipher()
    return AesGcmCipher(CryptoCipher(load_key_ring(key_file, env)))
