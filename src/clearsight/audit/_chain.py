"""The hash chain: SHA-256 over the canonical JSON of an entry and the hash before it.

Changing an entry changes its hash; removing or reordering entries breaks the link that the
next entry carries (and the sequence numbers, which are hashed too). The chain head (last
sequence number and hash, kept by the store) catches entries cut off the end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from clearsight.audit._events import AuditEvent, ChainEntry

GENESIS_HASH = "0" * 64


def canonical_json(seq: int, at: datetime, event: AuditEvent | ChainEntry, prev_hash: str) -> bytes:
    """The exact bytes that are hashed: sorted keys, no spaces, UTF-8, UTC microseconds."""
    payload = {
        "seq": seq,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": event.actor,
        "action": str(event.action),
        "record_type": event.record_type,
        "record_id": event.record_id,
        "reason": event.reason,
        "details": dict(sorted(event.details.items())),
        "prev_hash": prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(seq: int, at: datetime, event: AuditEvent | ChainEntry, prev_hash: str) -> str:
    return hashlib.sha256(canonical_json(seq, at, event, prev_hash)).hexdigest()


def link(event: AuditEvent, seq: int, at: datetime, prev_hash: str) -> ChainEntry:
    """Place ``event`` after the entry whose hash is ``prev_hash``."""
    return ChainEntry(
        seq=seq,
        at=at,
        actor=event.actor,
        action=str(event.action),
        record_type=event.record_type,
        record_id=event.record_id,
        reason=event.reason,
        details=dict(event.details),
        prev_hash=prev_hash,
        hash=chain_hash(seq, at, event, prev_hash),
    )


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verifying a chain: ok, or the first broken link and what is wrong."""

    ok: bool
    entries: int
    first_broken_seq: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.entries} entries verified"
        return f"audit chain broken at entry {self.first_broken_seq}: {self.problem}"


def verify_chain(entries: Iterable[ChainEntry], head: tuple[int, str] | None = None) -> ChainReport:
    """Check every link in sequence order; ``head`` is the store's (last seq, last hash)."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            what = "missing or reordered" if entry.seq > expected_seq else "out of order"
            return ChainReport(
                False,
                count,
                expected_seq,
                f"expected entry {expected_seq} but found {entry.seq} (entries {what})",
            )
        if entry.prev_hash != expected_prev:
            return ChainReport(
                False,
                count,
                entry.seq,
                "its previous-hash does not match the entry before it "
                "(an earlier entry was removed, reordered or changed)",
            )
        recomputed = chain_hash(entry.seq, entry.at, entry, entry.prev_hash)
        if recomputed != entry.hash:
            return ChainReport(
                False, count, entry.seq, "its contents do not match its hash (changed)"
            )
        expected_prev = entry.hash
        expected_seq += 1
    if head is not None:
        last_seq, last_hash = head
        if last_seq != expected_seq - 1 or last_hash != expected_prev:
            return ChainReport(
                False,
                count,
                expected_seq if last_seq >= expected_seq else last_seq,
                f"the chain head records entry {last_seq} but the log ends at entry "
                f"{expected_seq - 1} (entries removed from the end, or the head was changed)",
            )
    return ChainReport(True, count)
