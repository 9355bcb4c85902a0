"""SIGKILL the running service while alerts arrive and reviews are saved: every acknowledged
decision and alert survives, each alert's status matches its decisions, and the audit chain
verifies (also through `clearsight audit verify`)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.service.conftest import fake_photo
from tests.service.webkit import alert_body

from clearsight.review import CastDecision, Decision, ReviewPolicy, status_after
from clearsight.store import (
    AlertRecord,
    Database,
    IdentityCipher,
    ReviewDecisionRecord,
    Role,
    User,
    accounts,
    audit_log,
)

REVIEWERS = ("r1", "r2", "r3", "r4")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from clearsight.cli import main; main()",
            "serve",
            "--allow-unencrypted",  # these tests are about other things
            "--data-dir",
            str(data),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the service did not start within 60 s")


def seed(data: Path) -> tuple[str, dict[str, str]]:
    from clearsight.store import ReasonCategory, watchlist
    from clearsight.store._watchlist import EntryDraft, ExpiryRule

    db = Database.for_data_dir(data)
    db.migrate()
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    with db.session() as s:
        users = {
            name: accounts.create_user(
                s, name, "correct horse battery", role, f"setup-{name}", approved_by="approver"
            )
            for name, role in [("adm", Role.ADMIN), ("enr", Role.ENROLLER)]
            + [(r, Role.REVIEWER) for r in REVIEWERS]
        }
        tokens["adm"] = accounts.create_api_token(
            s, users["adm"], "w", frozenset({"alerts:ingest"}), None
        )[1]
        for r in REVIEWERS:
            tokens[r] = accounts.create_api_token(
                s, users[r], "r", frozenset({"alerts:review"}), None
            )[1]
        entry = watchlist.create_entry(
            s,
            IdentityCipher(),
            EntryDraft("K", ReasonCategory.VIOLENCE, "I-9", "n", True),
            [fake_photo(1)],
            users["enr"],
            now,
            ExpiryRule(),
        )
    with db.session() as s:
        watchlist.approve_entry(s, entry.id, users["adm"], now)
    db.dispose()
    return str(entry.id), tokens


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_decision(tmp_path: Path) -> None:
    entry_id, tokens = seed(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start(tmp_path, port)
    stop = threading.Event()
    acked_alerts: set[str] = set()
    acked_decisions: dict[str, tuple[str, str, str]] = {}
    lock = threading.Lock()

    def ingest() -> None:
        with httpx.Client(
            base_url=base, timeout=5, headers={"Authorization": f"Bearer {tokens['adm']}"}
        ) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    r = client.post("/api/alerts", json=alert_body(entry_id, f"k{n}", crops=1))
                except httpx.HTTPError:
                    continue
                if r.status_code == 200:
                    with lock:
                        acked_alerts.add(r.json()["id"])

    def review(name: str) -> None:
        rng = random.Random(name)
        decided: set[str] = set()
        with httpx.Client(
            base_url=base, timeout=5, headers={"Authorization": f"Bearer {tokens[name]}"}
        ) as client:
            while not stop.is_set():
                try:
                    pending = client.get("/api/alerts", params={"status": "pending"}).json()
                    for alert in pending:
                        if alert["id"] in decided or stop.is_set():
                            continue
                        choice = rng.choice(["confirm", "confirm", "confirm", "unsure", "reject"])
                        r = client.post(
                            f"/api/alerts/{alert['id']}/decisions",
                            json={"decision": choice, "comment": f"{name} says"},
                        )
                        decided.add(alert["id"])
                        if r.status_code == 201:
                            with lock:
                                acked_decisions[r.json()["decision_id"]] = (
                                    alert["id"],
                                    name,
                                    choice,
                                )
                except (httpx.HTTPError, ValueError):
                    continue

    threads = [threading.Thread(target=ingest)] + [
        threading.Thread(target=review, args=(r,)) for r in REVIEWERS
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            if len(acked_decisions) >= 25:
                break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)  # mid-traffic: requests are in flight right now
    process.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acked_decisions) >= 10, "too little traffic reached the service before the kill"
    print(
        f"SIGKILL after {len(acked_alerts)} acknowledged alerts and "
        f"{len(acked_decisions)} acknowledged decisions"
    )

    db = Database.for_data_dir(tmp_path)
    with db.session() as s:
        stored = {d.id: d for d in s.scalars(select(ReviewDecisionRecord))}
        records = {a.id: a for a in s.scalars(select(AlertRecord))}
        report = audit_log.verify(s)
        names = {u.id: u.username for u in s.scalars(select(User))}
        for decision_id, (alert_id, reviewer, choice) in acked_decisions.items():
            assert decision_id in stored, "an acknowledged decision was lost"
            assert stored[decision_id].alert_id == alert_id
            assert stored[decision_id].decision == choice
            assert names[stored[decision_id].reviewer_id] == reviewer
        assert acked_alerts <= set(records)
        for alert_id, record in records.items():
            cast = [
                CastDecision(names[d.reviewer_id], Decision(d.decision))
                for d in stored.values()
                if d.alert_id == alert_id
            ]
            assert record.status == status_after(cast, ReviewPolicy()).value
    db.dispose()
    assert report.ok, report.describe()
    cli = subprocess.run(
        [
            sys.executable,
            "-c",
            "from clearsight.cli import main; main()",
            "audit",
            "verify",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0 and "intact" in cli.stdout, cli.stderr

    process = start(tmp_path, port)  # and the service comes back on the same data
    try:
        listed = httpx.get(
            f"{base}/api/alerts",
            params={"limit": 1000},
            timeout=5,
            headers={"Authorization": f"Bearer {tokens['r1']}"},
        ).json()
        assert {a["id"] for a in listed} >= acked_alerts
    finally:
        process.terminate()
        process.wait(timeout=30)
