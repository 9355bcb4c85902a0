"""Without the key, the data directory reveals no face: a real face is enrolled and an alert
stored with a key configured, then every file is searched byte for byte for images (PNG or
JPEG signatures), the template's raw bytes (float32, float64, base64), and any run of 128
float32 values close to the template. The same scan of a store kept without a key finds them,
so the scan can fail. And ``clearsight serve`` refuses to start without a key unless told."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import undefer
from tests.points import ESTIMATE, POINT
from tests.service.webkit import add_user, api_token

from clearsight.cli import main
from clearsight.crypto import KeyRing, new_key, write_key_file
from clearsight.service import DeploymentConfig, ServiceSettings
from clearsight.store import ReferencePhoto, Role, alerts
from clearsight.types import Alert
from clearsight.web import create_app

MAGICS = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _images_in(data: bytes) -> list[str]:
    """Where a PNG or JPEG starts. A stored image spans several database pages, so it need
    not decode from here: the PNG signature (8 bytes) and a JPEG start with its JFIF or Exif
    header are flagged as they are (no chance in ciphertext); a bare JPEG start marker
    (3 bytes, which random bytes do contain) only if an image decodes from it."""
    found = []
    start = data.find(MAGICS["PNG"])
    while start != -1:
        found.append(f"PNG signature at byte {start}")
        start = data.find(MAGICS["PNG"], start + 1)
    start = data.find(MAGICS["JPEG"])
    while start != -1:
        if data[start + 6 : start + 10] in (b"JFIF", b"Exif"):
            found.append(f"JPEG header at byte {start}")
        else:
            try:
                with Image.open(io.BytesIO(data[start:])) as image:
                    image.load()
                    found.append(f"JPEG image {image.size} at byte {start}")
            except Exception:  # not an image after all: any decoder error means no
                pass
        start = data.find(MAGICS["JPEG"], start + 1)
    return found


def _template_runs(data: bytes, template: np.ndarray, threshold: float = 0.9) -> list[str]:
    """Runs of 128 float32 (any alignment) whose cosine to the template reaches ``threshold``."""
    found = []
    target = template.astype(np.float64) / np.linalg.norm(template)
    for offset in range(4):
        usable = (len(data) - offset) // 4 * 4
        if usable < 128 * 4:
            continue
        with np.errstate(invalid="ignore", over="ignore"):  # NaN payloads in arbitrary bytes
            raw = np.frombuffer(data, "<f4", count=usable // 4, offset=offset)
            values = raw.astype(np.float64)
        values = np.where(np.isfinite(values) & (np.abs(values) < 1e6), values, 0.0)
        windows = sliding_window_view(values, 128)
        norms = np.linalg.norm(windows, axis=1)
        cosine = (windows @ target) / np.maximum(norms, 1e-12)
        for index in np.flatnonzero(cosine >= threshold)[:3]:
            found.append(f"float32 run at byte {offset + 4 * int(index)}: cos {cosine[index]:.3f}")
    return found


def scan(data_dir: Path, template: np.ndarray) -> list[str]:
    raw32 = template.astype(np.float32).tobytes()
    needles = {
        "raw float32 template": raw32,
        "raw float64 template": template.astype(np.float64).tobytes(),
        "base64 template": base64.b64encode(raw32)[:64],
    }
    leaks = []
    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    assert files, f"nothing stored under {data_dir}"
    for path in files:
        data = path.read_bytes()
        name = path.relative_to(data_dir)
        leaks += [f"{name}: {what}" for what, needle in needles.items() if needle in data]
        leaks += [f"{name}: {what}" for what in _images_in(data)]
        leaks += [f"{name}: {what}" for what in _template_runs(data, template)]
    return leaks


def _store_a_face(data_dir: Path, key_file: Path | None) -> np.ndarray:
    """Enrol the astronaut through the API and store an alert with her face; the template."""
    skimage_data = pytest.importorskip("skimage.data")
    portrait = skimage_data.astronaut()
    app = create_app(
        DeploymentConfig(
            service=ServiceSettings(data_dir=data_dir, maintenance_interval_s=0, key_file=key_file)
        )
    )
    with TestClient(app) as client:
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "adm", Role.ADMIN)
        admin = {"Authorization": "Bearer " + api_token(app, "adm", {"watchlist:approve"})}
        headers = {"Authorization": "Bearer " + api_token(app, "enr", {"watchlist:enrol"})}
        made = client.post(
            "/api/watchlist",
            headers=headers,
            data={
                "name": "E",
                "reason_category": "threats",
                "incident_ref": "I-1",
                "notes": "n",
                "attested_not_minor": "true",
            },
            files=[("photos", ("astronaut.png", _png(portrait), "image/png"))],
        )
        assert made.status_code == 201, made.text
        entry_id = made.json()["id"]
        approved = client.post(
            f"/api/watchlist/{entry_id}/approve", headers=admin, json={"reason": "ok"}
        )
        assert approved.status_code == 200, approved.text
        ctx = app.state.clearsight
        now = datetime.now(UTC)
        crop = np.ascontiguousarray(portrait[0:260, 120:360])
        alert = Alert("k1", entry_id, "", 1, 0.9, ESTIMATE, now, "cam", crop, 2, 2, POINT)
        with ctx.db.session() as s:
            alerts.ingest_alert(s, ctx.cipher, alert, now)
            photo = s.scalars(select(ReferencePhoto).options(undefer(ReferencePhoto.template)))
            sealed = photo.one()
            raw = ctx.cipher.open(sealed.template, f"reference_photos:{sealed.id}:template")
    return np.frombuffer(raw, np.float32).copy()


@pytest.mark.slow
def test_without_the_key_the_data_dir_reveals_no_face(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"  # outside the data directory, as the main job keeps it
    write_key_file(key_file, KeyRing((new_key(),)))
    template = _store_a_face(tmp_path / "sealed", key_file)
    assert template.shape == (128,)
    assert scan(tmp_path / "sealed", template) == []


@pytest.mark.slow
def test_the_scan_finds_faces_in_a_store_kept_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLEARSIGHT_KEY", raising=False)
    monkeypatch.delenv("CLEARSIGHT_KEY_FILE", raising=False)
    template = _store_a_face(tmp_path / "clear", None)
    leaks = scan(tmp_path / "clear", template)
    assert any("raw float32 template" in leak for leak in leaks), leaks
    assert any("float32 run" in leak for leak in leaks), leaks
    assert sum("PNG signature" in leak for leak in leaks) >= 2, leaks  # reference and alert crop


def test_serve_refuses_to_start_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CLEARSIGHT_KEY", raising=False)
    monkeypatch.delenv("CLEARSIGHT_KEY_FILE", raising=False)
    data = tmp_path / "data"
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--data-dir", str(data), "--no-cameras"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "no encryption key" in err and "--allow-unencrypted" in err
    assert "Traceback" not in err
    assert not data.exists()  # nothing was created
    bad = tmp_path / "bad-keys"
    bad.write_text("not a key\n", encoding="utf-8")
    bad.chmod(0o600)
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--data-dir", str(data), "--key-file", str(bad)])
    assert exited.value.code == 2 and "bad-keys" in capsys.readouterr().err
    assert not data.exists()
