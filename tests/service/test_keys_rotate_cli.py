"""``clearsight keys rotate`` over a real service store: a pass killed with SIGKILL half-way
leaves every blob readable with the old or the new key, and running the command again
finishes it; each pass is in the audit log."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from tests.service.conftest import NOW, fake_photo
from tests.service.test_store import draft
from typer.testing import CliRunner

from clearsight.cli import _register, app
from clearsight.crypto import BlobCipher, KeyRing, key_id_of, new_key, write_key_file
from clearsight.store import (
    AesGcmCipher,
    AuditRecord,
    Database,
    Role,
    accounts,
    audit_log,
    sealed_records,
    watchlist,
)
from clearsight.store._watchlist import ExpiryRule

CHILD = Path(__file__).with_name("store_rotation_child.py")
ENTRIES = 15  # x 2 photos x (image + template) = 60 blobs


def _build_store(data_dir: Path, cipher: AesGcmCipher) -> dict[str, bytes]:
    """A migrated store with sealed photos; returns each blob's plaintext by record id."""
    db = Database.for_data_dir(data_dir)
    db.migrate()
    with db.session() as s:
        enroller = accounts.create_user(s, "enr", "correct horse battery", Role.ENROLLER, "t")
    for index in range(ENTRIES):
        with db.session() as s:
            photos = [fake_photo(2 * index), fake_photo(2 * index + 1)]
            watchlist.create_entry(s, cipher, draft(), photos, enroller, NOW, ExpiryRule())
    plain = {r.record_id: cipher.open(r.blob, r.record_id) for r in sealed_records(db)}
    db.dispose()
    return plain


def _blobs(data_dir: Path) -> dict[str, bytes]:
    db = Database.for_data_dir(data_dir)
    try:
        return {r.record_id: r.blob for r in sealed_records(db)}
    finally:
        db.dispose()


def _actions(data_dir: Path) -> list[str]:
    db = Database.for_data_dir(data_dir)
    try:
        with db.session() as s:
            assert audit_log.verify(s).ok
            return list(s.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))
    finally:
        db.dispose()


def test_killed_rotation_stays_readable_and_the_command_finishes_it(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    old_only, new_only = BlobCipher(KeyRing((old,))), BlobCipher(KeyRing((new,)))
    data_dir = tmp_path / "data"
    plain = _build_store(data_dir, AesGcmCipher(old_only))
    total = len(plain)
    assert total == ENTRIES * 4
    key_file = tmp_path / "keys"
    write_key_file(key_file, KeyRing((new, old)))

    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), str(key_file), "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    finished = 0
    for line in child.stdout:
        finished += line.startswith("done ")
        if finished == total // 2:
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""

    blobs = _blobs(data_dir)
    assert set(blobs) == set(plain)
    moved = {rid for rid, blob in blobs.items() if key_id_of(blob) == new.key_id}
    stayed = {rid for rid, blob in blobs.items() if key_id_of(blob) == old.key_id}
    assert moved | stayed == set(plain)
    assert total // 2 <= len(moved) < total, "the kill should land part-way through"
    for rid in moved:
        assert new_only.decrypt(blobs[rid], rid.encode()) == plain[rid]
    for rid in stayed:
        assert old_only.decrypt(blobs[rid], rid.encode()) == plain[rid]

    _register()
    runner = CliRunner()
    args = ["keys", "rotate", "--data-dir", str(data_dir), "--key-file", str(key_file)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{total} blobs examined, {len(stayed)} re-encrypted" in result.output
    blobs = _blobs(data_dir)
    for rid, blob in blobs.items():
        assert new_only.decrypt(blob, rid.encode()) == plain[rid]  # the old key can go

    again = runner.invoke(app, args)
    assert again.exit_code == 0 and ", 0 re-encrypted" in again.output
    assert "older keys may now be retired" in again.output
    actions = _actions(data_dir)
    # The killed pass logged its start but never its end; the two command runs logged both.
    assert actions.count("keys.rotation_started") == 3
    assert actions.count("keys.rotated") == 2


def test_rotate_without_a_key_or_database_is_one_line(tmp_path: Path) -> None:
    _register()
    runner = CliRunner()
    no_key = runner.invoke(app, ["keys", "rotate", "--data-dir", str(tmp_path)], env={})
    assert no_key.exit_code == 2 and "no encryption key" in no_key.output
    wrong = tmp_path / "other-keys"
    write_key_file(wrong, KeyRing((new_key(),)))
    no_db = runner.invoke(
        app, ["keys", "rotate", "--data-dir", str(tmp_path), "--key-file", str(wrong)]
    )
    assert no_db.exit_code == 2 and "no clearsight database here" in no_db.output
    data_dir = tmp_path / "d"
    _build_store(data_dir, AesGcmCipher(BlobCipher(KeyRing((new_key(),)))))
    result = runner.invoke(
        app, ["keys", "rotate", "--data-dir", str(data_dir), "--key-file", str(wrong)]
    )
    assert result.exit_code == 2, result.output
    assert "reference_photos:" in result.output and "Traceback" not in result.output
