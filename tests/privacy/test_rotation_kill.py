"""An interrupted key rotation leaves every record readable; re-running completes it.

The rotation runs in a real subprocess over a real SQLite table and is killed with SIGKILL
part-way through, so nothing in the process gets a chance to tidy up.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from clearsight.crypto import BlobCipher, KeyRing, key_id_of, new_key, write_key_file
from clearsight.errors import CryptoError

WORKER = Path(__file__).with_name("rotation_worker.py")
RECORDS = 120


def _ad(record_id: str) -> bytes:
    return f"blobs/{record_id}".encode()


def _rows(database: Path) -> dict[str, bytes]:
    with sqlite3.connect(database) as connection:
        return {rid: bytes(data) for rid, data in connection.execute("SELECT id, data FROM blobs")}


def _run_worker(database: Path, key_file: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(database), str(key_file), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_rotation_stays_readable_and_rerun_completes(tmp_path: Path) -> None:
    old_key, new = new_key(), new_key()
    old_only, new_only = BlobCipher(KeyRing((old_key,))), BlobCipher(KeyRing((new,)))
    plaintexts = {f"r{index:04d}": os.urandom(64 + index * 7) for index in range(RECORDS)}
    database = tmp_path / "blobs.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL)")
        connection.executemany(
            "INSERT INTO blobs VALUES (?, ?)",
            [(rid, old_only.encrypt(data, _ad(rid))) for rid, data in plaintexts.items()],
        )
    key_file = tmp_path / "keys"
    write_key_file(key_file, KeyRing((new, old_key)))  # rotation: new active, old kept

    worker = _run_worker(database, key_file, "0.02")
    assert worker.stdout is not None
    finished = 0
    for line in worker.stdout:
        if line.startswith("done "):
            finished += 1
        if finished == RECORDS // 3:
            worker.send_signal(signal.SIGKILL)
            break
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    rows = _rows(database)
    assert set(rows) == set(plaintexts)
    under = {rid: key_id_of(blob) for rid, blob in rows.items()}
    moved = [rid for rid, kid in under.items() if kid == new.key_id]
    stayed = [rid for rid, kid in under.items() if kid == old_key.key_id]
    assert len(moved) + len(stayed) == RECORDS
    assert RECORDS // 3 <= len(moved) < RECORDS, "the kill should land part-way through"
    for rid in moved:
        assert new_only.decrypt(rows[rid], _ad(rid)) == plaintexts[rid]
    for rid in stayed:
        assert old_only.decrypt(rows[rid], _ad(rid)) == plaintexts[rid]

    rerun = _run_worker(database, key_file)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    report = out.strip().splitlines()[-1]
    assert f"reencrypted={len(stayed)} current={len(moved)} changed=0" in report

    rows = _rows(database)
    for rid, blob in rows.items():
        assert key_id_of(blob) == new.key_id
        assert new_only.decrypt(blob, _ad(rid)) == plaintexts[rid]
        try:
            old_only.decrypt(blob, _ad(rid))
        except CryptoError:
            pass
        else:
            raise AssertionError(f"{rid} still readable with the retired key alone")

    again = _run_worker(database, key_file)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert f"reencrypted=0 current={RECORDS} changed=0" in out
