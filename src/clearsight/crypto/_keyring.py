from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from clearsight.errors import CryptoError

KEY_ENV = "CLEARSIGHT_KEY"
"""Environment variable holding the key ring text itself (or one bare base64 key)."""
KEY_FILE_ENV = "CLEARSIGHT_KEY_FILE"
"""Environment variable naming a key file, used when no key file is passed explicitly."""
KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_HEADER = (
    "# clearsight encryption keys: one 'id:base64' per line, the FIRST line is the active key.\n"
    "# Older keys stay below it so data they encrypted can still be read; never store this\n"
    "# file in the database or beside it, and keep it readable only by the service user.\n"
)


@dataclass(frozen=True)
class DataKey:
    """One AES-256 key and its id. ``repr`` never shows the key material."""

    key_id: str
    material: bytes

    def __post_init__(self) -> None:
        if not _KEY_ID.match(self.key_id):
            raise CryptoError(
                f"key id {self.key_id!r} is invalid: use 1-64 letters, digits, '.', '_' or '-'"
            )
        if len(self.material) != KEY_BYTES:
            raise CryptoError(
                f"key {self.key_id!r} is {len(self.material)} bytes; AES-256 needs {KEY_BYTES}"
            )

    def __repr__(self) -> str:
        return f"DataKey(key_id={self.key_id!r}, material=<{KEY_BYTES} bytes hidden>)"


def fingerprint(material: bytes) -> str:
    """A short, non-secret label for a key: 8 hex digits of its SHA-256."""
    return hashlib.sha256(b"clearsight-key-id" + material).hexdigest()[:8]


def new_key(now: dt.datetime | None = None) -> DataKey:
    """A fresh random key whose id says when it was made: ``YYYYMMDD-<fingerprint>``."""
    material = secrets.token_bytes(KEY_BYTES)
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d")
    return DataKey(f"{when}-{fingerprint(material)}", material)


@dataclass(frozen=True)
class KeyRing:
    """The active key (used to encrypt) followed by older keys (kept only to decrypt).

    During a key rotation the ring holds both the new active key and the old one, so every
    record stays readable whichever key it is encrypted under at the moment.
    """

    keys: tuple[DataKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise CryptoError("the key ring is empty: it needs at least one key")
        ids = [key.key_id for key in self.keys]
        duplicates = sorted({key_id for key_id in ids if ids.count(key_id) > 1})
        if duplicates:
            raise CryptoError(f"the key ring repeats key id(s) {', '.join(duplicates)}")

    @property
    def active(self) -> DataKey:
        return self.keys[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(key.key_id for key in self.keys)

    def get(self, key_id: str) -> DataKey:
        for key in self.keys:
            if key.key_id == key_id:
                return key
        raise CryptoError(
            f"data was encrypted with key {key_id!r}, which is not in the key ring "
            f"(it holds {', '.join(self.key_ids)}); restore that key to read it"
        )

    def with_new_active(self, key: DataKey) -> KeyRing:
        """This ring with ``key`` in front as the active key; older keys kept for reading."""
        return KeyRing((key, *self.keys))

    def without(self, key_id: str) -> KeyRing:
        """This ring with an old key retired (only once nothing is encrypted under it)."""
        if key_id == self.active.key_id:
            raise CryptoError(f"key {key_id!r} is the active key and cannot be retired")
        self.get(key_id)
        return KeyRing(tuple(key for key in self.keys if key.key_id != key_id))

    def to_text(self) -> str:
        lines = [f"{key.key_id}:{base64.b64encode(key.material).decode()}" for key in self.keys]
        return _HEADER + "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return f"KeyRing(active={self.active.key_id!r}, keys={list(self.key_ids)!r})"


def _decode_material(text: str, where: str) -> bytes:
    try:
        material = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise CryptoError(f"{where}: the key is not valid base64") from error
    if len(material) != KEY_BYTES:
        raise CryptoError(
            f"{where}: the key decodes to {len(material)} bytes; it must be {KEY_BYTES} "
            "(generate one with `clearsight keys generate --out FILE`)"
        )
    return material


def parse_key_ring(text: str, source: str) -> KeyRing:
    """Parse key ring text: ``id:base64`` entries, one per line (or separated by commas);
    a single bare base64 key is accepted too and gets its fingerprint as id."""
    entries: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for part in line.split(","):
            if part.strip():
                entries.append((f"{source}:{number}", part.strip()))
    if not entries:
        raise CryptoError(f"{source}: holds no key")
    if len(entries) == 1 and ":" not in entries[0][1]:
        where, value = entries[0]
        material = _decode_material(value, where)
        return KeyRing((DataKey(f"key-{fingerprint(material)}", material),))
    keys = []
    for where, entry in entries:
        key_id, separator, value = entry.partition(":")
        if not separator:
            raise CryptoError(f"{where}: expected 'id:base64'")
        if not _KEY_ID.match(key_id.strip()):
            raise CryptoError(f"{where}: key id {key_id.strip()!r} is invalid")
        keys.append(DataKey(key_id.strip(), _decode_material(value, where)))
    try:
        return KeyRing(tuple(keys))
    except CryptoError as error:
        raise CryptoError(f"{source}: {error}") from error


def read_key_file(path: Path) -> KeyRing:
    """Read a key file; refused if anyone other than its owner and group may read it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as error:
        raise CryptoError(f"{path}: key file not found") from error
    except OSError as error:
        raise CryptoError(f"{path}: cannot read key file ({error.strerror})") from error
    if mode & 0o007:
        raise CryptoError(
            f"{path}: key file is accessible to other users (mode {mode & 0o777:o}); "
            f"run `chmod 600 {path}`"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise CryptoError(f"{path}: key file not found") from error
    except (OSError, UnicodeDecodeError) as error:
        raise CryptoError(f"{path}: cannot read key file ({error})") from error
    return parse_key_ring(text, str(path))


def load_key_ring(
    key_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> KeyRing:
    """The key ring from ``key_file``, else ``$CLEARSIGHT_KEY``, else ``$CLEARSIGHT_KEY_FILE``.

    Keys never come from the database: losing the database must not hand over the key.
    """
    env = os.environ if environ is None else environ
    if key_file is not None:
        return read_key_file(key_file)
    if env.get(KEY_ENV, "").strip():
        return parse_key_ring(env[KEY_ENV], f"${KEY_ENV}")
    if env.get(KEY_FILE_ENV, "").strip():
        return read_key_file(Path(env[KEY_FILE_ENV]))
    raise CryptoError(
        f"no encryption key: pass --key-file, or set {KEY_ENV} or {KEY_FILE_ENV} "
        "(make a key with `clearsight keys generate --out FILE`)"
    )


def write_key_file(path: Path, ring: KeyRing, *, replace: bool = False) -> None:
    """Write the ring readable by its owner only (0600), atomically.

    A new file is refused if ``path`` exists unless ``replace`` is set (adding or retiring a
    key in an existing ring); the old file is swapped out only once the new one is on disk.
    """
    if path.exists() and not replace:
        raise CryptoError(f"{path}: already exists; refusing to overwrite a key file")
    if replace and not path.exists():
        raise CryptoError(f"{path}: key file not found")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise CryptoError(f"{path}: cannot create key file ({error.strerror})") from error
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(ring.to_text())
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise CryptoError(f"{path}: cannot write key file ({error.strerror})") from error
