"""Store: SQLAlchemy 2 tables, repositories and Alembic migrations (SQLite or PostgreSQL).

Every change that must be audited appends its audit entry in the same transaction
(``Database.session()``), so both are durable together or not at all.
"""

from clearsight.store import _accounts as accounts
from clearsight.store import _alerts as alerts
from clearsight.store import _audit_log as audit_log
from clearsight.store import _cameras as cameras
from clearsight.store import _corrections as corrections
from clearsight.store import _deliveries as deliveries
from clearsight.store import _history as history
from clearsight.store import _retention as retention
from clearsight.store import _sites as sites
from clearsight.store import _subject_records as subject_records
from clearsight.store import _watchlist as watchlist
from clearsight.store._alerts import DecisionOutcome, IngestResult
from clearsight.store._audit_log import AuditFilter
from clearsight.store._blobs import AesGcmCipher, BlobCipher, IdentityCipher, configured_cipher
from clearsight.store._cameras import CameraFields
from clearsight.store._database import SQLITE_FILE_NAME, Database, sqlite_url
from clearsight.store._enums import EntryStatus, ReasonCategory, Role
from clearsight.store._images import encode_png
from clearsight.store._key_rotation import rotate_store
from clearsight.store._reembed import ReembedReport, reembed_watchlist
from clearsight.store._retention_run import run_retention
from clearsight.store._sealed import SEALED_COLUMNS, blob_replacer, sealed_records
from clearsight.store._subject_records import Erasure, ErasureRequest
from clearsight.store._tables import (
    AlertCrop,
    AlertDelivery,
    AlertRecord,
    ApiToken,
    AuditHead,
    AuditRecord,
    Base,
    Camera,
    ReferencePhoto,
    ReviewDecisionRecord,
    SetupToken,
    User,
    WatchlistEntry,
    WebSession,
)
from clearsight.store._types import utcnow
from clearsight.store._watchlist import EnrolledPhoto, EntryDraft, ExpiryRule, approved_gallery

__all__ = [
    "SEALED_COLUMNS",
    "SQLITE_FILE_NAME",
    "AesGcmCipher",
    "AlertCrop",
    "AlertDelivery",
    "AlertRecord",
    "ApiToken",
    "AuditFilter",
    "AuditHead",
    "AuditRecord",
    "Base",
    "BlobCipher",
    "Camera",
    "CameraFields",
    "Database",
    "DecisionOutcome",
    "EnrolledPhoto",
    "EntryDraft",
    "EntryStatus",
    "Erasure",
    "ErasureRequest",
    "ExpiryRule",
    "IdentityCipher",
    "IngestResult",
    "ReasonCategory",
    "ReembedReport",
    "ReferencePhoto",
    "ReviewDecisionRecord",
    "Role",
    "SetupToken",
    "User",
    "WatchlistEntry",
    "WebSession",
    "accounts",
    "alerts",
    "approved_gallery",
    "audit_log",
    "blob_replacer",
    "cameras",
    "configured_cipher",
    "corrections",
    "deliveries",
    "encode_png",
    "history",
    "reembed_watchlist",
    "retention",
    "rotate_store",
    "run_retention",
    "sealed_records",
    "sites",
    "sqlite_url",
    "subject_records",
    "utcnow",
    "watchlist",
]
