"""Helpers to drive the service in tests: an app with a fake enrolment seam, signed-in clients."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from tests.points import API_FIELDS

from clearsight.errors import EnrollmentError
from clearsight.service import (
    DeploymentConfig,
    Hooks,
    ReviewSettings,
    ServiceContext,
    ServiceSettings,
)
from clearsight.store import Role, accounts
from clearsight.types import Embedding
from clearsight.web import create_app

PASSWORD = "correct horse battery"


@dataclass(frozen=True, eq=False)
class FakeFace:
    embedding: Embedding
    crop: npt.NDArray[np.uint8]
    chip: npt.NDArray[np.uint8]


def fake_enroll(image: npt.NDArray[np.uint8], name: str) -> FakeFace:
    """Enrolment seam: a template derived from the pixels; an all-black image has no face."""
    if int(image.max()) == 0:
        raise EnrollmentError(f"{name}: no face found")
    seed = int.from_bytes(hashlib.sha256(image.tobytes()).digest()[:8], "big")
    vector = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return FakeFace(Embedding(vector, "fake-model"), image, image[:150, :150])


def png_bytes(seed: int = 1, size: tuple[int, int] = (64, 48)) -> bytes:
    rng = np.random.default_rng(seed)
    array = rng.integers(1, 255, size=(size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def b64png(seed: int = 1) -> str:
    return base64.b64encode(png_bytes(seed)).decode()


def deployment(data_dir: Path, **overrides: object) -> DeploymentConfig:
    """A deployment config whose [service] and [review] fields are given by name, and whose
    other sections (``retention``, ``notify``, ...) are given whole."""
    sections: dict[str, dict[str, object]] = {
        "service": {"data_dir": data_dir, "maintenance_interval_s": 0},
        "review": {},
        "match": {},
    }
    root: dict[str, object] = {}
    for name, value in overrides.items():
        if name in ("match_rule", "match_target_fmr"):  # the pipeline's [match] section
            sections["match"][name.removeprefix("match_")] = value
        elif name in ServiceSettings.model_fields:
            sections["service"][name] = value
        elif name in ReviewSettings.model_fields:
            sections["review"][name] = value
        else:
            root[name] = value
    return DeploymentConfig.model_validate({**sections, **root})


def make_app(data_dir: Path, match_model_id: str | None = None, **overrides: object) -> FastAPI:
    """The app for ``deployment(data_dir, **overrides)``; ``match_model_id`` is the cameras'
    model (``build_service`` learns it from the pipeline's [embed] section)."""
    config = deployment(data_dir, **overrides)
    return create_app(ServiceContext.build(config, Hooks(enroll=fake_enroll), match_model_id))


def add_user(app: FastAPI, username: str, role: Role, *, approved: bool = True) -> str:
    """An account as if set up by its own admin ``setup-<name>`` and approved by a second one
    (so helpers' accounts are distinct people to the two-person rules)."""
    ctx = app.state.clearsight
    with ctx.db.session() as s:
        user = accounts.create_user(
            s,
            username,
            PASSWORD,
            role,
            f"setup-{username}",
            approved_by=f"approver-{username}" if approved else None,
        )
        return str(user.id)


def api_token(app: FastAPI, username: str, scopes: set[str]) -> str:
    from sqlalchemy import select

    from clearsight.store import User

    ctx = app.state.clearsight
    with ctx.db.session() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        _, secret = accounts.create_api_token(s, user, "test", frozenset(scopes), None)
    return secret


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    if match is None:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise AssertionError(f"login as {username} failed: {response.status_code}")
    return csrf_of(client.get("/account/tokens").text)


def seed_entry(app: FastAPI, enroller: str, approver: str, seed: int = 1) -> str:
    """An approved watchlist entry made through the store (the web path is tested elsewhere)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from clearsight.store import (
        EnrolledPhoto,
        EntryDraft,
        ReasonCategory,
        User,
        encode_png,
        watchlist,
    )

    ctx = app.state.clearsight
    image = np.asarray(Image.open(io.BytesIO(png_bytes(seed))).convert("RGB"))
    face = fake_enroll(image, "seed.png")
    now = datetime.now(UTC)
    with ctx.db.session() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        entry = watchlist.create_entry(
            s,
            ctx.cipher,
            EntryDraft(
                "Seeded Subject", ReasonCategory.REPEATED_SERIOUS_THEFT, "INC-S", "seeded", True
            ),
            [EnrolledPhoto(encode_png(face.crop), face.embedding)],
            users[enroller],
            now,
            ctx.expiry,
        )
    with ctx.db.session() as s:
        watchlist.approve_entry(s, entry.id, users[approver], now)
    return str(entry.id)


def alert_body(subject_id: str, key: str, crops: int = 2) -> dict[str, object]:
    return {
        "idempotency_key": key,
        "subject_id": subject_id,
        "source": "cam-1",
        "track_id": 3,
        "score": 0.88,
        "estimated_fmr": 2e-4,
        **API_FIELDS,
        "capture_time": "2026-06-01T12:00:00Z",
        "samples_used": 4,
        "agreeing_samples": 4,
        "crops_png_base64": [b64png(10 + i) for i in range(crops)],
    }


def review_team(
    app: FastAPI, reviewers: tuple[str, ...] = ("r1", "r2")
) -> tuple[str, dict[str, str]]:
    """An enroller ``enr``, an admin ``adm`` and the named reviewers; an approved entry.

    Returns the entry id and the headers of an ``alerts:ingest`` token (the camera side).
    """
    add_user(app, "enr", Role.ENROLLER)
    add_user(app, "adm", Role.ADMIN)
    for name in reviewers:
        add_user(app, name, Role.REVIEWER)
    entry_id = seed_entry(app, "enr", "adm")
    return entry_id, {"Authorization": "Bearer " + api_token(app, "adm", {"alerts:ingest"})}


def serve_process(port: int, *args: str) -> subprocess.Popen[bytes]:
    """``clearsight serve --port PORT ARGS...`` as its own process, once it answers."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from clearsight.cli import main; main()",
            "serve",
            "--port",
            str(port),
            *args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with code {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError("the service did not start within 90 s")
