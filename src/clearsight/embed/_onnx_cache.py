"""Converting dlib's face ResNet to ONNX once per machine, and finding the converted file.

Converting reads the 22 MB ``.dat``, builds the graph and serializes it: about 0.3 s, but it
imports ``onnx`` and briefly holds several copies of the weights (about 150 MB of resident
memory that the allocator may keep). So the result is written once to a cache folder,
named by the SHA-256 of the source file and the converter's version, and every later
process, such as one worker per camera, only hands that file to ONNX Runtime. The file's own
SHA-256 is written beside it and checked before use; a missing, partial or altered file is
simply rebuilt. Where the cache folder cannot be written, the model is converted in memory.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from clearsight.models import bundled_model_path, sha256_of

__all__ = [
    "CONVERTER_VERSION",
    "cached_conversion",
    "cached_onnx_resnet",
    "convert_dlib_resnet",
    "default_cache_dir",
]

CONVERTER_VERSION = 1
"""Bump whenever the reader or graph builder changes what it writes: old files are then unused."""


def default_cache_dir() -> Path:
    """``$CLEARSIGHT_CACHE_DIR``, else ``$XDG_CACHE_HOME/clearsight``, else ``~/.cache/...``."""
    configured = os.environ.get("CLEARSIGHT_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clearsight"


def convert_dlib_resnet(source: Path | None = None) -> bytes:
    """The serialized ONNX model of dlib's face ResNet in ``source`` (default: the bundled file)."""
    from clearsight.embed._dlib_dat import read_dlib_resnet
    from clearsight.embed._onnx_graph import build_onnx_model

    path = source if source is not None else bundled_model_path("resnet")
    return bytes(build_onnx_model(read_dlib_resnet(path)).SerializeToString())


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def cached_conversion(
    stem: str,
    source: Path,
    convert: Callable[[Path], bytes],
    version: int,
    cache_dir: Path | None = None,
    source_sha256: str | None = None,
) -> Path:
    """The file ``convert(source)`` writes, kept in ``cache_dir`` under a name made of
    ``stem``, the source's SHA-256 and the converter ``version``; converted and written
    first when missing, partial or altered (its own SHA-256 is kept beside it).

    ``source_sha256``, when the caller has just checked it, saves hashing the source again.
    Raises ``OSError`` when the folder cannot be created or written.
    """
    folder = (cache_dir if cache_dir is not None else default_cache_dir()) / "models"
    digest = source_sha256 or sha256_of(source)
    target = folder / f"{stem}-{digest[:24]}-c{version}.onnx"
    digest_file = target.with_name(target.name + ".sha256")
    if (
        target.is_file()
        and digest_file.is_file()
        and digest_file.read_text(encoding="ascii").strip() == sha256_of(target)
    ):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    data = convert(source)
    _write_atomically(target, data)
    _write_atomically(digest_file, (hashlib.sha256(data).hexdigest() + "\n").encode("ascii"))
    return target


def cached_onnx_resnet(source: Path | None = None, cache_dir: Path | None = None) -> Path:
    """dlib's ResNet converted to ONNX, from the cache (see ``cached_conversion``)."""
    path = source if source is not None else bundled_model_path("resnet")
    return cached_conversion(
        "dlib-resnet-v1", path, convert_dlib_resnet, CONVERTER_VERSION, cache_dir
    )
