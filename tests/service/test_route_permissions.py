"""Every route of the app, as every role and as nobody, against the expected allow/deny table.

A route missing from the table fails the test, so a new route cannot ship unchecked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount
from tests.service.webkit import add_user, api_token, login, make_app

from clearsight.store import Role

PUBLIC = "public"
ANY = {"admin", "enroller", "reviewer", "auditor", "privacy_officer"}
ADMIN, ENROLLER, REVIEWER, AUDITOR = {"admin"}, {"enroller"}, {"reviewer"}, {"auditor"}
PRIVACY = {"privacy_officer"}

EXPECTED: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/api/health"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/setup"): PUBLIC,
    ("POST", "/setup"): PUBLIC,
    ("GET", "/"): ANY,
    ("POST", "/logout"): ANY,
    ("GET", "/api/openapi.json"): ANY,
    ("GET", "/account/tokens"): ANY,
    ("POST", "/account/tokens"): ANY,
    ("POST", "/account/tokens/{token_id}/revoke"): ANY,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("PUT", "/api/users/{user_id}/sites"): ADMIN,
    ("POST", "/api/users/{user_id}/approve"): ADMIN,
    ("GET", "/users"): ADMIN,
    ("POST", "/users"): ADMIN,
    ("POST", "/users/{user_id}/disable"): ADMIN,
    ("POST", "/users/{user_id}/approve"): ADMIN,
    ("POST", "/users/{user_id}/sites"): ADMIN,
    ("GET", "/api/cameras"): ADMIN,
    ("POST", "/api/cameras"): ADMIN,
    ("PATCH", "/api/cameras/{camera_id}"): ADMIN,
    ("GET", "/cameras"): ADMIN,
    ("POST", "/cameras"): ADMIN,
    ("GET", "/cameras/{camera_id}"): ADMIN,
    ("POST", "/cameras/{camera_id}"): ADMIN,
    ("GET", "/api/watchlist"): ADMIN | ENROLLER,
    ("POST", "/api/watchlist"): ENROLLER,
    ("GET", "/api/watchlist/{entry_id}"): ADMIN | ENROLLER,
    ("POST", "/api/watchlist/{entry_id}/approve"): ADMIN | ENROLLER,
    ("GET", "/watchlist"): ADMIN | ENROLLER,
    ("GET", "/watchlist/new"): ENROLLER,
    ("POST", "/watchlist"): ENROLLER,
    ("GET", "/watchlist/{entry_id}"): ADMIN | ENROLLER,
    ("POST", "/watchlist/{entry_id}/approve"): ADMIN | ENROLLER,
    ("GET", "/images/reference/{photo_id}"): ADMIN | ENROLLER | REVIEWER,
    ("GET", "/images/alerts/{alert_id}/{position}"): REVIEWER,
    ("POST", "/api/alerts"): ADMIN,
    ("GET", "/api/alerts"): REVIEWER,
    ("GET", "/api/alerts/{alert_id}"): REVIEWER,
    ("POST", "/api/alerts/{alert_id}/decisions"): REVIEWER,
    ("GET", "/review"): REVIEWER,
    ("GET", "/review/{alert_id}"): REVIEWER,
    ("POST", "/review/{alert_id}/decide"): REVIEWER,
    ("GET", "/api/audit"): AUDITOR,
    ("GET", "/api/audit/verify"): AUDITOR,
    ("GET", "/audit"): AUDITOR,
    ("GET", "/audit/export.csv"): AUDITOR,
    ("POST", "/api/privacy/requests"): PRIVACY,
    ("GET", "/api/privacy/requests/{request_id}/package"): PRIVACY,
    ("POST", "/api/privacy/requests/{request_id}/erase"): PRIVACY,
    ("GET", "/privacy/requests"): PRIVACY,
    ("POST", "/privacy/requests"): PRIVACY,
    ("POST", "/privacy/requests/{request_id}/package"): PRIVACY,
    ("POST", "/privacy/requests/{request_id}/erase"): PRIVACY,
    # Daily use: history, corrections, docs, metrics, what waits.
    ("GET", "/events"): ADMIN | REVIEWER | AUDITOR,
    ("GET", "/events/{alert_id}"): ADMIN | REVIEWER | AUDITOR,
    ("GET", "/account/password"): ANY,
    ("POST", "/account/password"): ANY,
    ("GET", "/users/{user_id}"): ADMIN,
    ("POST", "/users/{user_id}/password"): ADMIN,
    ("POST", "/users/{user_id}/role"): ADMIN,
    ("POST", "/users/{user_id}/enable"): ADMIN,
    ("POST", "/watchlist/{entry_id}/reject"): ADMIN | ENROLLER,
    ("POST", "/watchlist/{entry_id}/withdraw"): ENROLLER,
    ("GET", "/watchlist/{entry_id}/edit"): ENROLLER,
    ("POST", "/watchlist/{entry_id}/edit"): ENROLLER,
    ("POST", "/cameras/{camera_id}/delete"): ADMIN,
    ("GET", "/api/docs"): ANY,
    ("GET", "/api/docs/openapi.json"): ANY,
    ("GET", "/api/summary"): ANY,
    ("GET", "/api/review/queue"): REVIEWER,
    ("GET", "/metrics"): ADMIN,
    ("GET", "/demo-photos"): ANY,
    ("GET", "/demo-photos/{file_name}"): ANY,
    ("GET", "/settings"): ADMIN,
}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "0" if m.group(1) == "position" else "nosuchid", path)


def app_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.extend((method, route.path) for method in sorted(route.methods))
        elif hasattr(route, "effective_route_contexts"):  # FastAPI >= 0.160 included routers
            found.extend(
                (method, context.path)
                for context in route.effective_route_contexts()
                for method in sorted(context.methods or ())
            )
        elif isinstance(route, Mount):
            found.append(("MOUNT", route.path))
        else:
            raise AssertionError(f"unexpected route type {type(route).__name__}: {route}")
    return found


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    app = make_app(Path(tmp_path_factory.mktemp("routes")))
    with TestClient(app) as anonymous:
        signed_in: dict[str, TestClient] = {}
        for role in Role:
            add_user(app, role.value, role)
            client = TestClient(app)
            client.__enter__()
            client.headers["X-CSRF-Token"] = login(client, role.value)
            signed_in[role.value] = client
        yield app, anonymous, signed_in
        for client in signed_in.values():
            client.__exit__(None, None, None)


def test_every_route_is_in_the_table(clients) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = clients
    routes = [r for r in app_routes(app) if r[0] != "MOUNT"]
    assert sorted(set(routes) - set(EXPECTED)) == [], "routes missing from EXPECTED"
    assert sorted(set(EXPECTED) - set(routes)) == [], "EXPECTED lists routes the app lacks"
    assert [r for r in app_routes(app) if r[0] == "MOUNT"] == [
        ("MOUNT", "/static"),
        ("MOUNT", "/docs-assets"),
    ]


def _denied_as_nobody(path: str, response) -> bool:  # type: ignore[no-untyped-def]
    if path.startswith("/api/") or path == "/metrics":  # machine endpoints: 401, no redirect
        return response.status_code == 401
    return response.status_code == 303 and response.headers["location"] == "/login"


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_route_as_every_role_and_nobody(clients, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    _, anonymous, signed_in = clients
    allowed = EXPECTED[(method, path)]
    url = concrete(path)
    response = anonymous.request(method, url, follow_redirects=False)
    if allowed == PUBLIC:
        assert response.status_code not in (401, 500), (method, path, response.status_code)
        return
    assert _denied_as_nobody(path, response), (method, path, response.status_code)
    for role, client in signed_in.items():
        response = client.request(method, url, follow_redirects=False)
        assert response.status_code < 500, (role, method, path, response.text)
        if role in allowed and path == "/logout":
            assert response.status_code == 303  # signed out: sign back in for the next routes
            client.headers["X-CSRF-Token"] = login(client, role)
        elif role in allowed:
            assert response.status_code not in (401, 403), (role, method, path, response.text)
            assert response.headers.get("location") != "/login", (role, method, path)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)


def test_bearer_tokens_are_limited_by_scope_and_role(clients) -> None:  # type: ignore[no-untyped-def]
    app, anonymous, _ = clients
    narrow = api_token(app, "reviewer", {"account"})
    broad = api_token(app, "auditor", {"audit:read", "alerts:review"})  # role lacks alerts:review
    assert (
        anonymous.get("/api/alerts", headers={"Authorization": f"Bearer {narrow}"}).status_code
        == 403
    )
    assert (
        anonymous.get("/api/audit", headers={"Authorization": f"Bearer {broad}"}).status_code == 200
    )
    assert (
        anonymous.get("/api/alerts", headers={"Authorization": f"Bearer {broad}"}).status_code
        == 403
    )
    assert anonymous.get("/api/alerts", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert anonymous.get("/api/alerts", headers={"Authorization": "Basic x"}).status_code == 401


def test_static_assets_are_vendored_and_public(clients) -> None:  # type: ignore[no-untyped-def]
    _, anonymous, _ = clients
    assert anonymous.get("/static/app.css").status_code == 200
    assert anonymous.get("/static/review.js").status_code == 200


def test_session_requests_without_csrf_token_are_refused(clients) -> None:  # type: ignore[no-untyped-def]
    _, _, signed_in = clients
    client = signed_in["admin"]
    token = client.headers.pop("X-CSRF-Token")
    try:
        response = client.post("/api/cameras", json={"name": "x", "source": "y"})
        assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    finally:
        client.headers["X-CSRF-Token"] = token
