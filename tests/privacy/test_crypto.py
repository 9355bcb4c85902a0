from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from clearsight.crypto import (
    KEY_ENV,
    KEY_FILE_ENV,
    BlobCipher,
    DataKey,
    EncryptedRecord,
    KeyRing,
    check_readable,
    key_id_of,
    load_key_ring,
    new_key,
    parse_key_ring,
    read_key_file,
    rotate,
    write_key_file,
)
from clearsight.errors import CryptoError

ZERO_KEY = base64.b64encode(bytes(32)).decode()
FACE = b"\xff\xd8\xff\xe0 pretend jpeg of a face " * 40


def test_round_trip_and_header_names_the_key() -> None:
    key = new_key()
    cipher = BlobCipher(KeyRing((key,)))
    blob = cipher.encrypt(FACE, b"evidence/42")
    assert FACE[:20] not in blob
    assert key_id_of(blob) == key.key_id
    assert cipher.decrypt(blob, b"evidence/42") == FACE
    assert cipher.encrypt(FACE, b"evidence/42") != blob  # fresh nonce every time


def test_blob_moved_to_another_record_does_not_decrypt() -> None:
    cipher = BlobCipher(KeyRing((new_key(),)))
    blob = cipher.encrypt(FACE, b"evidence/42")
    with pytest.raises(CryptoError, match=r"evidence/43.*belongs to another record"):
        cipher.decrypt(blob, b"evidence/43", name="evidence/43")


@pytest.mark.parametrize("position", [0, 4, 10, 30, -1])
def test_tampered_blob_is_refused(position: int) -> None:
    cipher = BlobCipher(KeyRing((new_key(),)))
    blob = bytearray(cipher.encrypt(FACE, b"x"))
    blob[position] ^= 0x01
    with pytest.raises(CryptoError):
        cipher.decrypt(bytes(blob), b"x")


def test_missing_key_and_wrong_key_are_named() -> None:
    first, second = new_key(), new_key()
    blob = BlobCipher(KeyRing((first,))).encrypt(FACE, b"x")
    with pytest.raises(CryptoError, match=f"key '{first.key_id}', which is not in the key ring"):
        BlobCipher(KeyRing((second,))).decrypt(blob, b"x", name="photo 7")
    impostor = DataKey(first.key_id, os.urandom(32))  # same id, different material
    with pytest.raises(CryptoError, match="photo 7: cannot decrypt with key"):
        BlobCipher(KeyRing((impostor,))).decrypt(blob, b"x", name="photo 7")


def test_plain_or_truncated_data_is_refused() -> None:
    cipher = BlobCipher(KeyRing((new_key(),)))
    with pytest.raises(CryptoError, match="not clearsight-encrypted"):
        cipher.decrypt(FACE, b"x")
    with pytest.raises(CryptoError, match="truncated"):
        cipher.decrypt(cipher.encrypt(b"", b"x")[:-3], b"x")


def test_old_keys_decrypt_but_only_the_active_key_encrypts() -> None:
    old, new = new_key(), new_key()
    old_blob = BlobCipher(KeyRing((old,))).encrypt(FACE, b"x")
    ring = KeyRing((old,)).with_new_active(new)
    cipher = BlobCipher(ring)
    assert cipher.decrypt(old_blob, b"x") == FACE
    assert key_id_of(cipher.encrypt(FACE, b"x")) == new.key_id
    assert not cipher.is_current(old_blob)
    assert ring.without(old.key_id).key_ids == (new.key_id,)
    with pytest.raises(CryptoError, match="active key"):
        ring.without(new.key_id)


def test_rotate_in_memory_rewrites_only_old_records() -> None:
    old, new = new_key(), new_key()
    old_cipher = BlobCipher(KeyRing((old,)))
    table = {f"id{i}": old_cipher.encrypt(bytes([i]) * 10, f"t/{i}".encode()) for i in range(5)}
    cipher = BlobCipher(KeyRing((new, old)))
    table["id0"] = cipher.encrypt(bytes([0]) * 10, b"t/0")

    def records() -> list[EncryptedRecord]:
        return [EncryptedRecord(k, f"t/{k[2:]}".encode(), v) for k, v in table.items()]

    def replace(record: EncryptedRecord, blob: bytes) -> bool:
        if table[record.record_id] != record.blob:
            return False
        table[record.record_id] = blob
        return True

    report = rotate(records(), cipher, replace)
    assert (report.examined, report.reencrypted, report.already_current) == (5, 4, 1)
    assert report.complete
    assert check_readable(records(), BlobCipher(KeyRing((new,)))) == 5
    assert rotate(records(), cipher, replace).reencrypted == 0


def test_rotate_counts_records_changed_meanwhile() -> None:
    old, new = new_key(), new_key()
    blob = BlobCipher(KeyRing((old,))).encrypt(FACE, b"x")
    report = rotate(
        [EncryptedRecord("a", b"x", blob)], BlobCipher(KeyRing((new, old))), lambda r, b: False
    )
    assert report.changed_meanwhile == 1 and not report.complete


def test_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "clearsight.key"
    ring = KeyRing((new_key(), new_key()))
    write_key_file(path, ring)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path) == ring
    with pytest.raises(CryptoError, match="already exists"):
        write_key_file(path, KeyRing((new_key(),)))
    assert read_key_file(path) == ring
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_repr_never_shows_key_material() -> None:
    key = new_key()
    text = repr(KeyRing((key,))) + repr(key)
    assert base64.b64encode(key.material).decode() not in text
    assert key.material.hex() not in text


def test_environment_variable_and_bare_key() -> None:
    key = new_key()
    bare = base64.b64encode(key.material).decode()
    ring = load_key_ring(environ={KEY_ENV: bare})
    assert ring.active.material == key.material
    other = base64.b64encode(os.urandom(32)).decode()
    both = load_key_ring(environ={KEY_ENV: f"a:{bare}, b:{other}"})
    assert both.key_ids == ("a", "b")


def test_key_file_env_and_explicit_file_take_precedence(tmp_path: Path) -> None:
    path = tmp_path / "k"
    write_key_file(path, KeyRing((new_key(),)))
    env_key = base64.b64encode(os.urandom(32)).decode()
    assert load_key_ring(path, {KEY_ENV: env_key}) == read_key_file(path)
    assert load_key_ring(environ={KEY_FILE_ENV: str(path)}) == read_key_file(path)


def test_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CryptoError, match=r"no encryption key.*CLEARSIGHT_KEY"):
        load_key_ring(environ={})
    with pytest.raises(CryptoError, match="key file not found"):
        load_key_ring(tmp_path / "absent")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no key"),
        ("a:not base64!", "keys.txt:1: the key is not valid base64"),
        (f"a:{base64.b64encode(b'short').decode()}", "decodes to 5 bytes"),
        ("a:" + base64.b64encode(bytes(32)).decode() + "\nnocolon", "expected 'id:base64'"),
        ("bad id:" + base64.b64encode(bytes(32)).decode(), "key id 'bad id' is invalid"),
        (f"a:{ZERO_KEY}\na:{ZERO_KEY}", "repeats key id"),
    ],
)
def test_malformed_key_ring_is_named(text: str, message: str) -> None:
    with pytest.raises(CryptoError, match=message):
        parse_key_ring(text, "keys.txt")


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k"
    write_key_file(path, KeyRing((new_key(),)))
    path.chmod(0o644)
    with pytest.raises(
        CryptoError, match=r"accessible to other users \(mode 644\); run `chmod 600"
    ):
        read_key_file(path)
    path.chmod(0o640)  # a service group may read it
    assert read_key_file(path).active
