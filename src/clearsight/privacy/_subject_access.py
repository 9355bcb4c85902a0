"""Subject access: find the records whose faces match a requester's photo, and export them
as a package (JSON plus images with every other face hidden). Independent of the store: the
service reads its records into these values and audit-logs the request."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clearsight.detect import FaceDetector
from clearsight.errors import InputError
from clearsight.privacy._redact import RedactionSettings, redact_still
from clearsight.types import Embedding

Box = tuple[float, float, float, float]


@dataclass(frozen=True, eq=False)
class StoredTemplate:
    """A stored face template and the record it belongs to (a watchlist entry or an alert)."""

    kind: str
    record_id: str
    embedding: Embedding


@dataclass(frozen=True)
class SubjectMatch:
    kind: str
    record_id: str
    score: float


def find_subject_records(
    probes: Iterable[Embedding], templates: Iterable[StoredTemplate], threshold: float
) -> tuple[SubjectMatch, ...]:
    """Records with a template at or above ``threshold`` against any probe, best first,
    each record once. Use a threshold no stricter than the watchlist's: a request should
    find every record that might be the requester, for the privacy officer to check."""
    probe_list = list(probes)
    if not probe_list:
        raise InputError("no face found in the requester's photo")
    best: dict[tuple[str, str], float] = {}
    for template in templates:
        score = max(probe.similarity(template.embedding) for probe in probe_list)
        key = (template.kind, template.record_id)
        if score >= threshold and score > best.get(key, -2.0):
            best[key] = score
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    return tuple(SubjectMatch(kind, record_id, score) for (kind, record_id), score in ranked)


@dataclass(frozen=True, eq=False)
class AccessItem:
    """One record to disclose: non-biometric facts, and the image showing the requester."""

    kind: str
    record_id: str
    facts: tuple[tuple[str, str], ...]
    image: npt.NDArray[np.uint8] | None = None
    subject_box: Box | None = None
    """The requester's face in ``image``; None keeps the largest face found."""


def _largest(boxes: npt.NDArray[np.float32]) -> Box | None:
    if len(boxes) == 0:
        return None
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    x1, y1, x2, y2 = (float(v) for v in boxes[int(np.argmax(areas))])
    return x1, y1, x2, y2


def write_access_package(
    items: Iterable[AccessItem],
    out_dir: Path,
    detector: FaceDetector,
    request_id: str,
    now: dt.datetime,
) -> Path:
    """Write ``out_dir/manifest.json`` and one PNG per image, other people's faces hidden.

    The folder appears complete or not at all (written beside it, then renamed)."""
    from PIL import Image

    if out_dir.exists():
        raise InputError(f"{out_dir}: already exists; choose a new folder for the package")
    staging = out_dir.with_name(f".{out_dir.name}.{secrets.token_hex(4)}.tmp")
    try:
        staging.mkdir(parents=True)
        records = []
        for number, item in enumerate(items, start=1):
            entry: dict[str, object] = {"kind": item.kind, "record_id": item.record_id}
            entry["facts"] = dict(item.facts)
            if item.image is not None:
                keep = item.subject_box or _largest(detector.detect(item.image).boxes)
                redacted = redact_still(item.image, detector, keep, RedactionSettings())
                name = f"{number:04d}-{item.kind}.png"
                Image.fromarray(redacted.image).save(staging / name)
                entry["image"] = name
                entry["other_faces_hidden"] = len(redacted.hidden)
            records.append(entry)
        manifest = {
            "request_id": request_id,
            "generated_at": now.isoformat(),
            "records": records,
            "note": "Other people's faces in these images are hidden.",
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        staging.rename(out_dir)
    except OSError as error:
        raise InputError(f"{out_dir}: cannot write the package ({error.strerror})") from error
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out_dir
