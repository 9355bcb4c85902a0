"""The OpenAPI document tells the truth: schemathesis fuzzes the live service (a real
`clearsight serve` on 127.0.0.1) with an admin token, every check on, a small fixed budget.

Left out is one check, ``positive_data_acceptance``: the service refuses some values JSON
Schema cannot describe (bytes that are not an image, a weak password), with a 400 that names
the problem. Everything else must hold: no 5xx, no response outside the document, no
undocumented status, no schema-violating request accepted.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clearsight.service import ROLE_PERMISSIONS
from clearsight.store import Database, Role, accounts

pytestmark = pytest.mark.slow
SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
MAX_EXAMPLES = 5
SEED = 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A running service with one approved account per role; yields its URL and, per role, an
    API token with every scope of the role."""
    data = tmp_path_factory.mktemp("fuzz") / "data"
    db = Database.for_data_dir(data)
    db.migrate()
    tokens = {}
    with db.session() as s:
        for role in Role:
            name = role.value.replace("_", "-")
            user = accounts.create_user(
                s, name, "correct horse battery", role, name, approved_by=accounts.SETUP_LINK
            )
            scopes = frozenset(p.value for p in ROLE_PERMISSIONS[role])
            _, tokens[role.value] = accounts.create_api_token(s, user, "fuzz", scopes, None)
    db.dispose()
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from clearsight.cli import main; main()",
            "serve",
            "--data-dir",
            str(data),
            "--port",
            str(port),
            "--allow-unencrypted",
            "--no-cameras",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the service did not start within 90 s")
            time.sleep(0.3)
        yield base, tokens
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture
def live_admin(live_service: tuple[str, dict[str, str]]) -> tuple[str, str]:
    base, tokens = live_service
    return base, tokens[Role.ADMIN.value]


def _schemathesis(base: str, token: str, report: Path, max_examples: int) -> dict[str, Any]:
    assert SCHEMATHESIS is not None
    command = [
        SCHEMATHESIS,
        "run",
        f"{base}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    # Run in the test's folder: schemathesis keeps a cache in its working directory.
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=report.parent)
    summary: dict[str, Any] = json.loads(report.read_text())
    cases = summary["test_cases"]
    print(
        f"schemathesis {summary['schemathesis_version']}: {summary['operations']['tested']} "
        f"operations, {cases['generated']} cases, {cases['unique_failures']} unique failures, "
        f"{len(summary['errors'])} errors"
    )
    failures = [(f["code"], f["title"], f["operations"]) for f in summary["failures"]]
    assert failures == [] and summary["errors"] == [], result.stdout[-6000:]
    assert result.returncode == 0, result.stdout[-6000:]
    return summary


@pytest.mark.skipif(SCHEMATHESIS is None, reason="schemathesis is not installed (test extras)")
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_admin: tuple[str, str], tmp_path: Path
) -> None:
    base, token = live_admin
    summary = _schemathesis(base, token, tmp_path / "admin.json", MAX_EXAMPLES)
    assert summary["operations"]["tested"] >= 20


@pytest.mark.skipif(SCHEMATHESIS is None, reason="schemathesis is not installed (test extras)")
@pytest.mark.parametrize("role", [r.value for r in Role if r is not Role.ADMIN])
def test_schemathesis_as_each_other_role(
    live_service: tuple[str, dict[str, str]], tmp_path: Path, role: str
) -> None:
    """The operations an admin cannot reach (review, audit, privacy) fuzzed by their roles."""
    base, tokens = live_service
    _schemathesis(base, tokens[role], tmp_path / f"{role}.json", 2)


def test_the_document_declares_the_error_body_and_statuses(
    live_admin: tuple[str, str],
) -> None:
    base, token = live_admin
    document = httpx.get(
        f"{base}/api/openapi.json", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    operation = document["paths"]["/api/alerts"]["post"]
    for status in ("400", "401", "403", "404", "409", "413", "422", "503"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}, status
    # The 422 body really is that shape.
    refused = httpx.post(
        f"{base}/api/alerts", json={"track_id": -1}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 422 and isinstance(refused.json()["detail"], str)
