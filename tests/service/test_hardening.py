"""Smaller hardening findings: who the sign-in limiter and the audit believe the caller is,
the serve flags for proxies and TLS cookies, site limits on reference photos, the password
rule, what an ingest token learns, which image formats reach a decoder, and the modes of the
data directory and database file."""

from __future__ import annotations

import logging
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.service.webkit import (
    add_user,
    alert_body,
    api_token,
    csrf_of,
    make_app,
    png_bytes,
    review_team,
    serve_process,
)

from clearsight.audit import AuditAction
from clearsight.service import LoginLimiter
from clearsight.store import SQLITE_FILE_NAME, AuditRecord, Database, Role, accounts, sites

REPO = Path(__file__).resolve().parents[2]


# --- Finding 3: X-Forwarded-For from loopback --------------------------------------------


def _serve(data: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    return serve_process(
        port, "--allow-unencrypted", "--no-cameras", "--data-dir", str(data), *extra
    )


@pytest.mark.slow
def test_forwarded_for_from_loopback_is_not_believed(tmp_path: Path) -> None:
    from tests.service.test_openapi_fuzz import _free_port

    data = tmp_path / "data"
    db = Database.for_data_dir(data)
    db.migrate()
    with db.session() as s:
        accounts.create_user(
            s, "alice", "correct horse battery", Role.REVIEWER, "adm", approved_by="adm2"
        )
    db.dispose()
    port = _free_port()
    server = _serve(data, port)
    statuses = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for attempt in range(8):
                token = csrf_of(client.get("/login").text)
                answer = client.post(
                    "/login",
                    data={"username": "alice", "password": "wrong guess!!", "csrf_token": token},
                    headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"},
                )
                statuses.append(answer.status_code)
    finally:
        server.terminate()
        server.wait(30)
    assert statuses == [401] * 5 + [429] * 3
    db = Database.for_data_dir(data)
    with db.read_session() as s:
        failed = s.scalars(
            select(AuditRecord).where(AuditRecord.action == AuditAction.LOGIN_FAILED.value)
        ).all()
        addresses = {r.details for r in failed}
    db.dispose()
    assert len(failed) == 5 and addresses == {'{"address": "127.0.0.1"}'}


def test_the_limiter_counts_a_user_name_across_addresses() -> None:
    limiter = LoginLimiter(max_failures=5, window_s=900)
    for i in range(9):
        limiter.failed("alice", f"198.51.100.{i}")
        assert not limiter.blocked("alice", "198.51.100.250")
    limiter.failed("alice", "198.51.100.9")
    assert limiter.blocked("alice", "198.51.100.250")  # ten tries from ten addresses
    assert not limiter.blocked("bob", "198.51.100.250")


def test_serve_flags_reach_uvicorn_and_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from clearsight.cli import main

    seen: list[tuple[Any, dict[str, Any]]] = []

    def run(server: uvicorn.Server, sockets: list[Any] | None = None) -> None:
        config = server.config
        seen.append(
            (
                config.app,
                {
                    "proxy_headers": config.proxy_headers,
                    "forwarded_allow_ips": config.forwarded_allow_ips,
                },
            )
        )
        for listener in sockets or []:
            listener.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    base = ["serve", "--data-dir", str(tmp_path / "d"), "--allow-unencrypted", "--no-cameras"]
    for argv in (base, [*base, "--trusted-proxy", "10.0.0.2", "--secure-cookies"]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code in (0, None)
    (plain_app, plain), (tls_app, behind) = seen
    assert plain["proxy_headers"] is False and plain["forwarded_allow_ips"] == []
    assert behind["proxy_headers"] is True and behind["forwarded_allow_ips"] == ["10.0.0.2"]
    assert plain_app.state.clearsight.settings.secure_cookies is False
    assert tls_app.state.clearsight.settings.secure_cookies is True
    with TestClient(tls_app, base_url="https://testserver") as client:
        cookie = client.get("/login").headers["set-cookie"]
    assert re.search(r";\s*secure", cookie, re.IGNORECASE)


# --- Finding 5 --------------------------------------------------------------------------


def test_a_site_limited_reviewer_cannot_fetch_another_sites_reference_photo(
    tmp_path: Path,
) -> None:
    from tests.service.conftest import fake_photo

    from clearsight.store import ReasonCategory, encode_png, watchlist
    from clearsight.store._watchlist import EnrolledPhoto, EntryDraft

    app = make_app(tmp_path)
    with TestClient(app) as client:
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "adm", Role.ADMIN)
        north_id = add_user(app, "revn", Role.REVIEWER)
        ctx = app.state.clearsight
        photo_ids = {}
        with ctx.db.session() as s:
            enroller = accounts.get_user(s, add_user(app, "enr2", Role.ENROLLER))
            for site in ("north", "south", ""):
                photo = fake_photo(len(photo_ids) + 1)
                entry = watchlist.create_entry(
                    s,
                    ctx.cipher,
                    EntryDraft("S", ReasonCategory.VIOLENCE, "I", "n", True, None, site),
                    [EnrolledPhoto(encode_png(png_pixels()), photo.embedding)],
                    enroller,
                    ctx.now(),
                    ctx.expiry,
                )
                photo_ids[site] = entry.photos[0].id
            sites.set_user_sites(
                s, north_id, frozenset({"north"}), accounts.get_user(s, north_id), ctx.now()
            )
            accounts.get_user(s, north_id).approved_by = "adm2"
        headers = {"Authorization": "Bearer " + api_token(app, "revn", {"faces:reference"})}
        got = {
            site: client.get(f"/images/reference/{pid}", headers=headers).status_code
            for site, pid in photo_ids.items()
        }
    assert got == {"north": 200, "south": 404, "": 200}


def png_pixels():  # type: ignore[no-untyped-def]
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png_bytes(9))).convert("RGB"))


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "password1234", "qwertyuiop12", "abcdefghijklmn", "revrevrevrev1"]
)
def test_common_and_repetitive_passwords_are_refused(tmp_path: Path, password: str) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        add_user(app, "adm", Role.ADMIN)
        headers = {"Authorization": "Bearer " + api_token(app, "adm", {"users:manage"})}
        answer = client.post(
            "/api/users",
            json={"username": "rev", "password": password, "role": "reviewer"},
            headers=headers,
        )
        assert answer.status_code == 400 and "too weak" in answer.json()["detail"]
        fine = client.post(
            "/api/users",
            json={"username": "rev", "password": "plum orbit canvas 41", "role": "reviewer"},
            headers=headers,
        )
        assert fine.status_code == 201


def test_an_ingest_token_learns_nothing_of_the_review(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        entry, ingest = review_team(app, ("r1", "r2"))
        first = client.post("/api/alerts", json=alert_body(entry, "k"), headers=ingest).json()
        for name in ("r1", "r2"):
            reviewer = {"Authorization": "Bearer " + api_token(app, name, {"alerts:review"})}
            client.post(
                f"/api/alerts/{first['id']}/decisions",
                json={"decision": "confirm", "comment": "yes"},
                headers=reviewer,
            )
        again = client.post("/api/alerts", json=alert_body(entry, "k"), headers=ingest).json()
    assert again == {"id": first["id"], "idempotency_key": "k", "created": False}


EPS = (
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n%%EndComments\n"
    b"newpath 0 0 moveto 16 16 lineto stroke showpage\n%%EOF\n"
)


def test_eps_and_pdf_uploads_never_reach_a_decoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import EpsImagePlugin

    called: list[object] = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *a, **k: called.append(a))
    app = make_app(tmp_path)
    with TestClient(app) as client:
        add_user(app, "enr", Role.ENROLLER)
        headers = {"Authorization": "Bearer " + api_token(app, "enr", {"watchlist:enrol"})}
        answer = client.post(
            "/api/watchlist",
            data={
                "name": "S",
                "reason_category": "violence",
                "incident_ref": "I",
                "notes": "n",
                "attested_not_minor": "true",
            },
            files=[("photos", ("x.eps", EPS, "application/postscript"))],
            headers=headers,
        )
    assert answer.status_code == 400 and "not a recognised image format" in answer.text
    assert "JPEG, PNG, WEBP" in answer.text and called == []


def test_the_data_directory_and_database_are_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "fresh" / "data"
    db = Database.for_data_dir(data)
    db.migrate()
    db.dispose()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert (data / SQLITE_FILE_NAME).is_file()

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    (shared / SQLITE_FILE_NAME).touch(mode=0o644)
    (shared / SQLITE_FILE_NAME).chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="clearsight.store._database"):
        Database.for_data_dir(shared).dispose()
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "data directory" in warned and "mode 755" in warned
    assert "database file" in warned and "mode 644" in warned


def test_the_docs_say_what_is_encrypted_and_why() -> None:
    text = (REPO / "docs" / "service.md").read_text(encoding="utf-8")
    section = text.split("**What is encrypted, and why the rest is not.**", 1)[1][:2000]
    for claim in ("Face images", "templates are sealed", "names", "notes", "audit log", "0700"):
        assert claim in section, claim
