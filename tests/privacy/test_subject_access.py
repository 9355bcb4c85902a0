from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clearsight.config import HogDetectorConfig
from clearsight.detect import HogFaceDetector
from clearsight.errors import InputError
from clearsight.privacy import (
    AccessItem,
    StoredTemplate,
    find_subject_records,
    write_access_package,
)
from clearsight.track import iou_matrix
from clearsight.types import Embedding

from .scenes import two_faces

NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


def _vector(seed: int, near: np.ndarray | None = None, noise: float = 0.0) -> Embedding:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=128) if near is None else near + noise * rng.normal(size=128)
    return Embedding(base.astype(np.float32), "test-model")


def test_find_subject_records_ranks_and_dedupes() -> None:
    requester = _vector(1)
    templates = [
        StoredTemplate("watchlist_entry", "w1", _vector(2, requester.vector, 0.02)),
        StoredTemplate("alert", "a1", _vector(3, requester.vector, 0.05)),
        StoredTemplate("alert", "a1", _vector(4, requester.vector, 0.2)),  # second sample
        StoredTemplate("alert", "a2", _vector(5)),  # someone else
    ]
    found = find_subject_records([requester], templates, threshold=0.6)
    assert [(m.kind, m.record_id) for m in found] == [("watchlist_entry", "w1"), ("alert", "a1")]
    assert found[0].score > found[1].score > 0.6
    with pytest.raises(InputError, match="no face found"):
        find_subject_records([], templates, threshold=0.6)


def test_package_hides_everyone_but_the_requester(tmp_path: Path) -> None:
    detector = HogFaceDetector(HogDetectorConfig(upsample=1, min_face_size=8))
    scene = two_faces()
    faces = detector.detect(scene)
    assert len(faces) == 2
    right = tuple(float(v) for v in faces.boxes[np.argmax(faces.boxes[:, 0])])
    items = [
        AccessItem("alert", "a1", (("camera", "entrance"), ("status", "rejected")), scene, right),
        AccessItem("watchlist_entry", "w1", (("added", "2026-10-01"),)),
    ]
    out = write_access_package(items, tmp_path / "request-7", detector, "req-7", NOW)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["request_id"] == "req-7"
    assert manifest["records"][0]["facts"] == {"camera": "entrance", "status": "rejected"}
    assert manifest["records"][0]["other_faces_hidden"] == 1
    assert "image" not in manifest["records"][1]
    image = np.asarray(Image.open(out / manifest["records"][0]["image"]).convert("RGB"))
    visible = detector.detect(image)
    assert len(visible) == 1
    assert iou_matrix(visible.boxes, np.asarray([right], np.float32))[0, 0] > 0.5
    with pytest.raises(InputError, match="already exists"):
        write_access_package(items, out, detector, "req-7", NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["request-7"]
