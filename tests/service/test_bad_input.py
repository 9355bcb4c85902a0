"""Malformed requests get a 4xx with a message, never a 500; bad uploads are refused clearly."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.points import API_FIELDS
from tests.service.webkit import add_user, api_token, b64png, login, make_app, png_bytes

from clearsight.store import Role


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = make_app(tmp_path, max_upload_bytes=200_000, max_request_bytes=1_000_000)
    with TestClient(app, raise_server_exceptions=True) as client:
        add_user(app, "adm", Role.ADMIN)
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "rev", Role.REVIEWER)
        tokens = {
            "adm": api_token(app, "adm", {"alerts:ingest", "cameras:manage", "users:manage"}),
            "enr": api_token(app, "enr", {"watchlist:enrol", "watchlist:read"}),
            "rev": api_token(app, "rev", {"alerts:review"}),
        }
        yield client, tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def enrol(client: TestClient, token: str, photo: tuple[str, bytes, str]):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/watchlist",
        headers=bearer(token),
        data={
            "name": "X",
            "reason_category": "threats",
            "incident_ref": "I-1",
            "notes": "n",
            "attested_not_minor": "true",
        },
        files=[("photos", photo)],
    )


def bomb_png() -> bytes:
    """A small file that decodes to 100 megapixels (over the 40-megapixel limit)."""
    buffer = io.BytesIO()
    Image.new("L", (10_000, 10_000)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def test_bad_json_and_wrong_types_are_422_with_messages(env) -> None:  # type: ignore[no-untyped-def]
    client, tokens = env
    h = {**bearer(tokens["adm"]), "Content-Type": "application/json"}
    response = client.post("/api/alerts", content=b"{not json", headers=h)
    assert response.status_code == 422 and "JSON" in response.json()["detail"]
    response = client.post("/api/alerts", json={"track_id": "seven"}, headers=bearer(tokens["adm"]))
    assert response.status_code == 422 and "track_id" in response.json()["detail"]
    response = client.post("/api/cameras", json=["a list"], headers=bearer(tokens["adm"]))
    assert response.status_code == 422
    response = client.post(
        "/api/cameras", json={"name": "c", "source": "s", "extra": 1}, headers=bearer(tokens["adm"])
    )
    assert response.status_code == 422 and "extra" in response.json()["detail"]
    response = client.post(
        "/api/users",
        json={"username": "x", "password": "short", "role": "superuser"},
        headers=bearer(tokens["adm"]),
    )
    assert response.status_code == 422
    response = client.get("/api/alerts?status=bogus&limit=-1", headers=bearer(tokens["rev"]))
    assert response.status_code == 422


def test_alert_with_naive_time_or_bad_crops_is_refused(env) -> None:  # type: ignore[no-untyped-def]
    client, tokens = env
    body = {
        "idempotency_key": "k",
        "subject_id": "s",
        "source": "c",
        "track_id": 1,
        "score": 0.9,
        "estimated_fmr": 0.001,
        **API_FIELDS,
        "capture_time": "2026-06-01T12:00:00",
        "samples_used": 3,
        "agreeing_samples": 3,
        "crops_png_base64": [b64png()],
    }
    response = client.post("/api/alerts", json=body, headers=bearer(tokens["adm"]))
    assert response.status_code == 422 and "capture_time" in response.json()["detail"]
    body["capture_time"] = "2026-06-01T12:00:00Z"
    body["crops_png_base64"] = ["!!!not base64!!!"]
    response = client.post("/api/alerts", json=body, headers=bearer(tokens["adm"]))
    # The schema says what base64 looks like, so this is a 422 naming the field.
    assert response.status_code == 422 and "crops_png_base64" in response.json()["detail"]
    body["crops_png_base64"] = ["aGVsbG8gd29ybGQ="]  # "hello world"
    response = client.post("/api/alerts", json=body, headers=bearer(tokens["adm"]))
    assert response.status_code == 400 and "not a recognised image" in response.json()["detail"]
    body["crops_png_base64"] = [b64png()]
    response = client.post("/api/alerts", json=body, headers=bearer(tokens["adm"]))
    assert response.status_code == 404 and "does not exist" in response.json()["detail"]


def test_uploads_that_are_not_images_too_large_or_bombs_are_refused(env) -> None:  # type: ignore[no-untyped-def]
    client, tokens = env
    response = enrol(client, tokens["enr"], ("notes.txt", b"just some text", "text/plain"))
    assert response.status_code == 400 and "notes.txt: not a recognised image" in response.text
    response = enrol(client, tokens["enr"], ("big.png", b"\x89PNG" + b"0" * 300_000, "image/png"))
    assert response.status_code == 413 and "big.png" in response.json()["detail"]
    response = enrol(client, tokens["enr"], ("bomb.png", bomb_png(), "image/png"))
    assert response.status_code == 400 and "decompression bomb" in response.json()["detail"]
    black = io.BytesIO()
    Image.new("RGB", (64, 64)).save(black, format="PNG")
    response = enrol(client, tokens["enr"], ("black.png", black.getvalue(), "image/png"))
    assert response.status_code == 400 and "no face found" in response.json()["detail"]
    response = enrol(client, tokens["enr"], ("ok.png", png_bytes(2), "image/png"))
    assert response.status_code == 201


def test_huge_request_bodies_are_refused_before_reading(env) -> None:  # type: ignore[no-untyped-def]
    client, tokens = env
    response = client.post(
        "/api/alerts",
        content=b"x" * 1_500_000,
        headers={**bearer(tokens["adm"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(30):
            yield b"y" * 100_000

    response = client.post(
        "/api/alerts",
        content=chunks(),
        headers={**bearer(tokens["adm"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_html_form_errors_render_a_page_not_a_traceback(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        add_user(app, "enr", Role.ENROLLER)
        csrf = login(client, "enr")
        response = client.post(
            "/watchlist",
            data={
                "name": "X",
                "reason_category": "not-a-reason",
                "incident_ref": "I",
                "notes": "n",
                "csrf_token": csrf,
            },
            files=[("photos", ("a.png", png_bytes(1), "image/png"))],
        )
        assert response.status_code == 422 and "reason_category" in response.text
        response = client.post(
            "/watchlist",
            data={
                "name": "X",
                "reason_category": "threats",
                "incident_ref": "I",
                "notes": "n",
                "csrf_token": csrf,
            },
            files=[("photos", ("a.png", png_bytes(1), "image/png"))],
        )
        assert response.status_code == 409 and "under 18" in response.text
        assert client.get("/review/x").status_code == 403


def test_login_attempts_are_rate_limited(tmp_path: Path) -> None:
    app = make_app(tmp_path, login_max_failures=3)
    with TestClient(app) as client:
        add_user(app, "adm", Role.ADMIN)
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        codes = [
            client.post(
                "/login",
                data={"username": "adm", "password": "wrong password!", "csrf_token": token},
            ).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        right = client.post(
            "/login",
            data={"username": "adm", "password": "correct horse battery", "csrf_token": token},
        )
        assert right.status_code == 429  # even the right password waits out the window
        no_csrf = client.post("/login", data={"username": "adm", "password": "x"})
        assert no_csrf.status_code == 403


def test_server_binds_localhost_by_default() -> None:
    from clearsight.service import ServiceSettings

    assert ServiceSettings(data_dir=Path("d")).host == "127.0.0.1"


def test_alert_for_an_unknown_camera_is_404_not_a_crash(env) -> None:  # type: ignore[no-untyped-def]
    client, tokens = env
    body = {
        "idempotency_key": "k",
        "subject_id": "s",
        "source": "c",
        "camera_id": "nosuch",
        "track_id": 1,
        "score": 0.9,
        "estimated_fmr": 0.001,
        **API_FIELDS,
        "capture_time": "2026-06-01T12:00:00Z",
        "samples_used": 3,
        "agreeing_samples": 3,
        "crops_png_base64": [b64png()],
    }
    response = client.post("/api/alerts", json=body, headers=bearer(tokens["adm"]))
    assert response.status_code == 404 and "camera nosuch" in response.json()["detail"]
