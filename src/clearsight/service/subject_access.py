"""Subject access and erasure for privacy officers: search by a requester's photo, export a
package (JSON plus images, other people's faces hidden), erase what matched.

A search makes a *case*: the ids of the matching records and their scores, kept in memory for
``CASE_TTL`` (the requester's photo and template are dropped as soon as the search ends). The
export and the erasure act only on a case's records, so what is disclosed or erased is what
the face search found and the officer saw. Every search, export and erasure is audit-logged.
"""

from __future__ import annotations

import io
import secrets
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from clearsight.audit import AuditAction, AuditEvent
from clearsight.errors import EnrollmentError, ImageError, InputError, NotFoundError
from clearsight.ingest import decode_image
from clearsight.service._context import ServiceContext
from clearsight.service._permissions import Principal
from clearsight.service.usecases import Upload, decode_upload
from clearsight.store import AlertRecord, Erasure, ErasureRequest, WatchlistEntry, audit_log
from clearsight.store import subject_records as records
from clearsight.types import Embedding, OperatingPoint

if TYPE_CHECKING:  # clearsight.privacy loads OpenCV and the detectors: imported when used
    from clearsight.privacy import AccessItem, RedactionDetector, StoredTemplate

CASE_TTL = timedelta(hours=1)
_lock = threading.Lock()


@dataclass(frozen=True)
class CaseMatch:
    """A record found for the requester: by its face (``score``), or because it is an alert
    raised against a matching watchlist entry (``via_entry``)."""

    kind: str
    record_id: str
    score: float | None
    via_entry: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.record_id}"


@dataclass(frozen=True)
class SubjectCase:
    request_id: str
    request_ref: str
    officer: str
    created_at: datetime
    model_id: str
    target_fmr: float
    threshold: float
    faces_searched: int
    faces_unreadable: int
    matches: tuple[CaseMatch, ...]
    probes: tuple[Embedding, ...] = field(default=(), repr=False)
    """The requester's templates, in memory only while the case is open: the export uses
    them to keep only the requester's face clear in each image."""


NOBODY: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
"""A keep box that overlaps no face: every face in the image is hidden."""


def _point(ctx: ServiceContext, model_id: str) -> OperatingPoint:
    """The cameras' operating point (target and rule) on the card of ``model_id``."""
    from clearsight.match import load_card, operating_point

    card = load_card(model_id)  # ConfigError naming the model when none is shipped
    return operating_point(card, ctx.config.match)


def _alert_templates(ctx: ServiceContext, model_id: str) -> tuple[list[StoredTemplate], int]:
    """Templates of every alert crop, made now with the enrolment seam (alerts store no
    template); crops in which no face is found again are counted, not searched."""
    from clearsight.privacy import StoredTemplate

    with ctx.db.read_session() as session:
        faces = list(records.alert_faces(session, ctx.cipher))
    found, unreadable = [], 0
    for face in faces:
        try:
            pixels = decode_image(face.png, f"alert crop {face.blob_id}")
            embedding = ctx.hooks.enroll(pixels, f"alert crop {face.blob_id}").embedding
        except (EnrollmentError, ImageError):
            unreadable += 1
            continue
        if embedding.model_id == model_id:
            found.append(StoredTemplate("alert", face.record_id, embedding))
    return found, unreadable


def _cases(ctx: ServiceContext, now: datetime) -> dict[str, SubjectCase]:
    cases = ctx.state.subject_cases
    for request_id in [r for r, c in cases.items() if now - c.created_at > CASE_TTL]:
        del cases[request_id]
    return cases


def search(
    ctx: ServiceContext, principal: Principal, uploads: Sequence[Upload], request_ref: str
) -> SubjectCase:
    """Find every watchlist entry and alert whose face matches the requester's photos."""
    from clearsight.privacy import StoredTemplate, find_subject_records

    if not request_ref.strip():
        raise InputError("subject request: give the request's reference (e.g. SAR-2026-014)")
    if not uploads:
        raise InputError("subject request: upload at least one photo of the requester")
    probes: list[Embedding] = [
        ctx.hooks.enroll(decode_upload(ctx, u), u.filename).embedding for u in uploads
    ]
    model_id = probes[0].model_id
    point = _point(ctx, model_id)
    threshold = point.threshold
    with ctx.db.read_session() as session:
        templates = [
            StoredTemplate("watchlist_entry", entry_id, template)
            for entry_id, template in records.reference_templates(session, ctx.cipher, model_id)
        ]
    alert_templates, unreadable = _alert_templates(ctx, model_id)
    found = find_subject_records(probes, [*templates, *alert_templates], threshold)
    matches = [CaseMatch(m.kind, m.record_id, m.score) for m in found]
    entries = [m.record_id for m in matches if m.kind == "watchlist_entry"]
    seen = {m.key for m in matches}
    with ctx.db.read_session() as session:
        for entry_id in entries:
            for alert_id in records.alerts_of_entries(session, [entry_id]):
                if f"alert:{alert_id}" not in seen:
                    seen.add(f"alert:{alert_id}")
                    matches.append(CaseMatch("alert", alert_id, None, entry_id))
    now = ctx.now()
    case = SubjectCase(
        secrets.token_hex(8),
        request_ref.strip()[:200],
        principal.username,
        now,
        model_id,
        ctx.config.match.target_fmr,
        threshold,
        len(templates) + len(alert_templates),
        unreadable,
        tuple(matches),
        tuple(probes),
    )
    _audit(
        ctx,
        principal,
        AuditAction.SUBJECT_ACCESS_SEARCHED,
        case,
        {
            "matches": " ".join(m.key for m in case.matches),
            "threshold": f"{threshold:.4f}",
            "target_fmr": f"{case.target_fmr:g}",
            "rule": point.rule,
            "card": f"{point.model_id} v{point.card_version}",
            "faces_searched": str(case.faces_searched),
            "faces_unreadable": str(unreadable),
        },
    )
    with _lock:
        _cases(ctx, now)[case.request_id] = case
    return case


def get_case(ctx: ServiceContext, request_id: str) -> SubjectCase:
    with _lock:
        case = _cases(ctx, ctx.now()).get(request_id)
    if case is None:
        raise NotFoundError(
            f"subject request {request_id}: unknown or older than {CASE_TTL}; search again"
        )
    return case


def _audit(
    ctx: ServiceContext,
    principal: Principal,
    action: AuditAction,
    case: SubjectCase,
    details: dict[str, str],
) -> None:
    with ctx.db.session() as session:
        audit_log.append(
            session,
            AuditEvent(
                principal.username,
                action,
                "subject_request",
                case.request_id,
                reason=case.request_ref,
                details=details,
            ),
            at=ctx.now(),
        )


def _items(ctx: ServiceContext, case: SubjectCase) -> list[AccessItem]:
    from clearsight.privacy import AccessItem

    items: list[AccessItem] = []
    with ctx.db.read_session() as session:
        for match in case.matches:
            if match.kind == "watchlist_entry":
                entry = session.get(WatchlistEntry, match.record_id)
                if entry is None:
                    continue
                facts = records.entry_facts(entry)
                faces = records.entry_faces(session, ctx.cipher, entry.id)
            else:
                alert = session.get(AlertRecord, match.record_id)
                if alert is None:
                    continue
                facts = records.alert_facts(alert)
                faces = list(records.alert_faces(session, ctx.cipher, alert.id))
            score = "" if match.score is None else f"{match.score:.3f}"
            facts = (*facts, ("similarity_to_requester", score or f"alert of {match.via_entry}"))
            if not faces:
                items.append(AccessItem(match.kind, match.record_id, facts))
            for face in faces:
                image = decode_image(face.png, f"{match.kind} {match.record_id}")
                box = _requester_box(ctx, case, image)
                items.append(AccessItem(match.kind, match.record_id, facts, image, box))
    return items


def _requester_box(
    ctx: ServiceContext, case: SubjectCase, image: npt.NDArray[np.uint8]
) -> tuple[float, float, float, float]:
    """The face in ``image`` that matches the requester at the case's threshold, or
    ``NOBODY`` (all faces hidden) when no face there is theirs: an alert raised on the
    requester's entry may show someone else, who must not be disclosed."""
    best, best_score = NOBODY, case.threshold
    height, width = image.shape[:2]
    for x1, y1, x2, y2 in _detector(ctx).detect(image).boxes:
        pad = 0.5 * max(x2 - x1, y2 - y1)
        left, top = int(max(0, x1 - pad)), int(max(0, y1 - pad))
        right, bottom = int(min(width, x2 + pad)), int(min(height, y2 + pad))
        try:
            embedding = ctx.hooks.enroll(image[top:bottom, left:right].copy(), "export").embedding
        except (EnrollmentError, ImageError):
            continue
        if embedding.model_id != case.model_id:
            continue
        score = max(probe.similarity(embedding) for probe in case.probes)
        if score >= best_score:
            best, best_score = (float(x1), float(y1), float(x2), float(y2)), score
    return best


def _detector(ctx: ServiceContext) -> RedactionDetector:
    detector = ctx.state.redaction_detector
    if detector is None:
        from clearsight.privacy import redaction_detector

        detector = ctx.state.redaction_detector = redaction_detector()
    return detector


def export(ctx: ServiceContext, principal: Principal, request_id: str) -> bytes:
    """The case's package as a zip: manifest.json and one PNG per image, bystanders hidden."""
    from clearsight.privacy import write_access_package

    case = get_case(ctx, request_id)
    items = _items(ctx, case)
    with tempfile.TemporaryDirectory(prefix="clearsight-sar-") as tmp:
        folder = write_access_package(
            items, Path(tmp) / "package", _detector(ctx), case.request_ref, ctx.now()
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                archive.write(path, path.name)
    _audit(
        ctx,
        principal,
        AuditAction.SUBJECT_ACCESS_EXPORTED,
        case,
        {
            "records": " ".join(sorted({f"{i.kind}:{i.record_id}" for i in items})),
            "images": str(sum(i.image is not None for i in items)),
        },
    )
    return buffer.getvalue()


def erase(
    ctx: ServiceContext,
    principal: Principal,
    request_id: str,
    reason: str,
    selected: Sequence[str] | None = None,
) -> Erasure:
    """Erase the case's records (or the ``selected`` ``kind:id`` keys among them)."""
    case = get_case(ctx, request_id)
    if not reason.strip():
        raise InputError("erasure: give the reason (e.g. the requester's erasure request)")
    keys = {m.key for m in case.matches}
    chosen = set(keys if selected is None else selected)
    unknown = sorted(chosen - keys)
    if unknown:
        raise InputError(f"erasure: {', '.join(unknown)} not among this request's matches")
    request = ErasureRequest(principal.username, reason.strip(), case.request_ref, ctx.now())
    entry_ids = [k.partition(":")[2] for k in chosen if k.startswith("watchlist_entry:")]
    alert_ids = [k.partition(":")[2] for k in chosen if k.startswith("alert:")]
    with ctx.db.session() as session:
        done = records.erase(session, entry_ids, alert_ids, request)
        audit_log.append(
            session,
            AuditEvent(
                principal.username,
                AuditAction.SUBJECT_ERASED,
                "subject_request",
                case.request_id,
                reason=request.reason,
                details={
                    "request": case.request_ref,
                    "entries": str(len(done.entries)),
                    "alerts": str(len(done.alerts)),
                    "images": str(done.images),
                },
            ),
            at=request.at,
        )
    with _lock:
        _cases(ctx, ctx.now()).pop(request_id, None)
    return done
