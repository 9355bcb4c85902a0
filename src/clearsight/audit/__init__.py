"""Audit: typed events and the SHA-256 hash chain that makes the log tamper-evident.

Pure code: the store appends entries inside the same transaction as the change they record
and reads them back for ``verify_chain``.
"""

from clearsight.audit._chain import (
    GENESIS_HASH,
    ChainReport,
    canonical_json,
    chain_hash,
    link,
    verify_chain,
)
from clearsight.audit._csv import CSV_HEADER, csv_row
from clearsight.audit._events import SYSTEM_ACTOR, AuditAction, AuditEvent, ChainEntry

__all__ = [
    "CSV_HEADER",
    "GENESIS_HASH",
    "SYSTEM_ACTOR",
    "AuditAction",
    "AuditEvent",
    "ChainEntry",
    "ChainReport",
    "canonical_json",
    "chain_hash",
    "csv_row",
    "link",
    "verify_chain",
]
