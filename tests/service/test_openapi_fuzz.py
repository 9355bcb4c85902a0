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

import httpx
import pytest

from clearsight.store import Database, Role, accounts
from clearsight.web._permissions import ROLE_PERMISSIONS

pytestmark = pytest.mark.slow
SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
MAX_EXAMPLES = 5
SEED = 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_admin(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A running service with one approved admin; yields its URL and an admin API token."""
    data = tmp_path / "data"
    data.mkdir()
    db = Database.for_data_dir(data)
    db.migrate()
    with db.session() as s:
        admin = accounts.create_user(
            s, "adm", "correct horse battery", Role.ADMIN, "adm", approved_by=accounts.SETUP_LINK
        )
        scopes = frozenset(p.value for p in ROLE_PERMISSIONS[Role.ADMIN])
        _, token = accounts.create_api_token(s, admin, "fuzz", scopes, None)
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
        yield base, token
    finally:
        server.terminate()
        server.wait(30)


@pytest.mark.skipif(SCHEMATHESIS is None, reason="schemathesis is not installed (test extras)")
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_admin: tuple[str, str], tmp_path: Path
) -> None:
    base, token = live_admin
    report = tmp_path / "schemathesis.json"
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
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    summary = json.loads(report.read_text())
    cases = summary["test_cases"]
    print(
        f"schemathesis {summary['schemathesis_version']}: {summary['operations']['tested']} "
        f"operations, {cases['generated']} cases, {cases['unique_failures']} unique failures, "
        f"{len(summary['errors'])} errors"
    )
    assert summary["operations"]["tested"] >= 20
    failures = [(f["code"], f["title"], f["operations"]) for f in summary["failures"]]
    assert failures == [] and summary["errors"] == [], result.stdout[-6000:]
    assert result.returncode == 0, result.stdout[-6000:]


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
