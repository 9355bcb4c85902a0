"""The seam where face images and templates are sealed before they reach the database.

Every image and template the store writes goes through a ``BlobCipher``. ``IdentityCipher``
stores bytes as they are; an AES-GCM cipher from ``clearsight.crypto`` (encryption at rest,
keyed from a key file or an environment variable) plugs in here without other changes.
``purpose`` names what the bytes are, so an authenticated cipher can bind each blob to its
use (a reference image cannot be swapped in for an alert crop unnoticed).
"""

from __future__ import annotations

from typing import Protocol


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
