"""`clearsight serve --nats`: the service process consumes the cluster's alert stream. Kill -9
it while alerts flow, start it again: every alert published is stored exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.service.conftest import fake_photo
from tests.service.test_cluster_link import cluster_alert, publish_alerts
from tests.service.test_kill9 import free_port

from clearsight.cluster import ClusterConfig
from clearsight.crypto import BlobCipher, KeyRing, new_key, write_key_file
from clearsight.store import (
    AesGcmCipher,
    AlertRecord,
    Database,
    ReasonCategory,
    Role,
    accounts,
    audit_log,
    watchlist,
)
from clearsight.store._watchlist import EntryDraft, ExpiryRule

ALERTS = 150


def _seed(data: Path, cipher: AesGcmCipher) -> str:
    db = Database.for_data_dir(data)
    db.migrate()
    now = datetime.now(UTC)
    with db.session() as s:
        enroller = accounts.create_user(
            s,
            "enr",
            "correct horse battery",
            Role.ENROLLER,
            "setup-" + "enr",
            approved_by="approver",
        )
        admin = accounts.create_user(
            s, "adm", "correct horse battery", Role.ADMIN, "setup-" + "adm", approved_by="approver"
        )
        entry = watchlist.create_entry(
            s,
            cipher,
            EntryDraft("K", ReasonCategory.VIOLENCE, "I-1", "n", True),
            [fake_photo(1, "test-model")],
            enroller,
            now,
            ExpiryRule(),
        )
    with db.session() as s:
        watchlist.approve_entry(s, entry.id, admin, now)
    db.dispose()
    return str(entry.id)


def _serve(data: Path, key: Path, config: ClusterConfig) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from clearsight.cli import main; main()",
            "serve",
            "--data-dir",
            str(data),
            "--key-file",
            str(key),
            "--port",
            str(free_port()),
            "--no-cameras",
            "--nats",
            config.nats_url,
            "--nats-namespace",
            config.namespace,
            "--nats-model",
            "test-model",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stored(data: Path) -> tuple[int, int]:
    db = Database.for_data_dir(data)
    try:
        with db.read_session() as s:
            rows = s.scalar(select(func.count()).select_from(AlertRecord)) or 0
            keys = s.scalar(select(func.count(func.distinct(AlertRecord.idempotency_key)))) or 0
    finally:
        db.dispose()
    return int(rows), int(keys)


@pytest.mark.slow
def test_kill9_service_while_cluster_alerts_flow_stores_each_once(
    tmp_path: Path, cluster_config: ClusterConfig
) -> None:
    config = cluster_config
    ring = KeyRing((new_key(),))
    key = tmp_path / "key.json"
    write_key_file(key, ring)
    subject = _seed(tmp_path, AesGcmCipher(BlobCipher(ring)))
    alerts = [cluster_alert(subject, "north", n) for n in range(ALERTS)]
    asyncio.run(publish_alerts(config, BlobCipher(ring), alerts[: ALERTS // 2]))
    process = _serve(tmp_path, key, config)
    deadline = time.monotonic() + 60
    while _stored(tmp_path)[0] < 10:  # killed while it is storing, not before it began
        assert process.poll() is None, "serve --nats exited"
        assert time.monotonic() < deadline, "no alert stored within 60 s"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    asyncio.run(publish_alerts(config, BlobCipher(ring), alerts[ALERTS // 2 :]))
    restarted = _serve(tmp_path, key, config)
    try:
        deadline = time.monotonic() + 90
        while _stored(tmp_path)[0] < ALERTS and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # anything redelivered after the last insert has had time to land
        assert _stored(tmp_path) == (ALERTS, ALERTS)
    finally:
        restarted.send_signal(signal.SIGTERM)
        try:
            restarted.wait(20)
        except subprocess.TimeoutExpired:
            restarted.kill()
    db = Database.for_data_dir(tmp_path)
    with db.read_session() as s:
        assert audit_log.verify(s).ok
    db.dispose()


def test_serve_nats_without_a_key_stops_with_one_line_before_creating_anything(
    tmp_path: Path,
) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("CLEARSIGHT_KEY", "CLEARSIGHT_KEY_FILE")
    }
    data = tmp_path / "data"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from clearsight.cli import main; main()",
            "serve",
            "--data-dir",
            str(data),
            "--allow-unencrypted",
            "--no-cameras",
            "--nats",
            "nats://127.0.0.1:4222",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--nats needs the cluster's encryption key" in done.stderr
    assert "Traceback" not in done.stderr and not data.exists()
