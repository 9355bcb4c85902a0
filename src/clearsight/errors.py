"""The exception tree of clearsight, documented in one place.

ClearsightError                 base of everything clearsight raises on purpose
├── ConfigError                 a configuration file or value is invalid
├── InputError                  input from a user or a file is unusable
│   ├── ImageError              an image is missing, corrupt, too large or a decompression bomb
│   ├── UploadTooLargeError     an upload is over the service's size limit
│   ├── VideoError              a video or stream cannot be opened or decoded
│   └── EnrollmentError         a photo cannot be enrolled (no face, several faces, too small, blurred)
├── SourceDisconnectedError          a live stream dropped (ingest reopens it with backoff)
├── ModelError                  a model file is missing, unreadable or fails its hash check
├── StoreError                  the database cannot be read or written
│   └── NotFoundError           a record does not exist
├── PolicyError                 an action breaks a policy (retention, purpose, governance)
├── PermissionDeniedError       the caller's role does not allow the action
├── CryptoError                 an encryption key is missing or malformed, or encrypted data
│                               cannot be decrypted (wrong key, tampered, not encrypted)
└── AuditIntegrityError         the audit hash chain is broken

Every error carries a message meant for the person who caused it: it names the file or
record and says what is wrong, so the CLI can print it on one line without a traceback.
"""

from __future__ import annotations

__all__ = [
    "AuditIntegrityError",
    "ClearsightError",
    "ConfigError",
    "CryptoError",
    "EnrollmentError",
    "ImageError",
    "InputError",
    "ModelError",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyError",
    "SourceDisconnectedError",
    "StoreError",
    "UploadTooLargeError",
    "VideoError",
]


class ClearsightError(Exception):
    """Base of every error clearsight raises on purpose."""


class ConfigError(ClearsightError):
    """A configuration file or value is invalid."""


class InputError(ClearsightError):
    """Input from a user or a file is unusable."""


class ImageError(InputError):
    """An image is missing, corrupt, too large or a decompression bomb."""


class UploadTooLargeError(InputError):
    """An upload is over the service's size limit (the web answers 413)."""


class VideoError(InputError):
    """A video file or stream cannot be opened or decoded."""


class EnrollmentError(InputError):
    """A reference photo cannot be enrolled."""


class SourceDisconnectedError(ClearsightError):
    """A live stream dropped; ingest reopens it with backoff."""


class ModelError(ClearsightError):
    """A model file is missing, unreadable or fails its hash check."""


class StoreError(ClearsightError):
    """The database cannot be read or written."""


class NotFoundError(StoreError):
    """A record does not exist."""


class PolicyError(ClearsightError):
    """An action breaks a policy (retention, purpose, governance)."""


class PermissionDeniedError(ClearsightError):
    """The caller's role does not allow the action."""


class CryptoError(ClearsightError):
    """An encryption key is missing or malformed, or encrypted data cannot be decrypted."""


class AuditIntegrityError(ClearsightError):
    """The audit hash chain is broken."""
