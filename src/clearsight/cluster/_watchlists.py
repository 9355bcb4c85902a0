"""Per-site watchlists in a JetStream KV bucket, encrypted, and the worker's copy of them.

The service publishes each site's approved templates as one encrypted value keyed by site.
A worker keeps only the sites of the cameras it runs: in memory as a ``Gallery`` for
matching, and on disk exactly as received (still encrypted) in its data directory.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clearsight.cluster._config import ClusterNames, check_name
from clearsight.crypto import BlobCipher
from clearsight.errors import ClearsightError, InputError
from clearsight.match import Gallery

__all__ = ["SiteWatchlist", "WatchlistCache", "WatchlistEntry", "open_watchlist", "seal_watchlist"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class WatchlistEntry:
    """One approved reference template of a subject."""

    subject_id: str
    subject_name: str
    template: npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class SiteWatchlist:
    """A site's gallery and the bucket revision it came from."""

    site: str
    revision: int
    gallery: Gallery


def seal_watchlist(
    site: str,
    model_id: str,
    entries: Sequence[WatchlistEntry],
    cipher: BlobCipher,
    names: ClusterNames,
) -> bytes:
    """A site's watchlist as an encrypted bucket value."""
    check_name(site, "site")
    body = {
        "site": site,
        "model_id": model_id,
        "entries": [
            {
                "subject_id": e.subject_id,
                "subject_name": e.subject_name,
                "template": base64.b64encode(
                    np.asarray(e.template, np.float32).reshape(-1).tobytes()
                ).decode("ascii"),
            }
            for e in entries
        ],
    }
    return cipher.encrypt(json.dumps(body).encode(), names.watchlist_aad(site))


def open_watchlist(site: str, blob: bytes, cipher: BlobCipher, names: ClusterNames) -> Gallery:
    """Decrypt and validate a bucket value into a gallery (an InputError naming the site)."""
    where = f"watchlist of site {site}"
    plain = cipher.decrypt(blob, names.watchlist_aad(site), name=where)
    try:
        body = json.loads(plain)
        if body["site"] != site:
            raise InputError(f"{where}: the value holds site {body['site']!r}")
        rows = [
            (
                str(e["subject_id"]),
                str(e["subject_name"]),
                np.frombuffer(base64.b64decode(e["template"], validate=True), np.float32),
            )
            for e in body["entries"]
        ]
        dimensions = len(rows[0][2]) if rows else 128
        return Gallery.build(str(body["model_id"]), rows, dimensions=dimensions)
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise InputError(f"{where}: malformed value ({error})") from error


class WatchlistCache:
    """The galleries of the sites a worker serves, kept encrypted on disk under ``folder``."""

    def __init__(self, folder: Path, cipher: BlobCipher, names: ClusterNames) -> None:
        self._folder = folder
        self._cipher = cipher
        self._names = names
        self._sites: dict[str, SiteWatchlist] = {}

    def gallery(self, site: str) -> Gallery | None:
        held = self._sites.get(site)
        return held.gallery if held else None

    @property
    def sites(self) -> list[str]:
        return sorted(self._sites)

    def update(self, site: str, revision: int, blob: bytes) -> bool:
        """Take a new value for ``site``; False (logged, old copy kept) when it is unusable."""
        held = self._sites.get(site)
        if held is not None and held.revision >= revision:
            return True
        try:
            gallery = open_watchlist(site, blob, self._cipher, self._names)
        except ClearsightError as error:
            _log.error("keeping the previous watchlist: %s", error)
            return False
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"{site}.bin"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(blob)
        temporary.replace(path)
        self._sites[site] = SiteWatchlist(site, revision, gallery)
        return True

    def load_from_disk(self, site: str) -> bool:
        """The last copy written for ``site`` (when NATS cannot be read yet)."""
        path = self._folder / f"{site}.bin"
        if site in self._sites or not path.exists():
            return site in self._sites
        try:
            gallery = open_watchlist(site, path.read_bytes(), self._cipher, self._names)
        except ClearsightError as error:
            _log.error("%s: %s", path, error)
            return False
        self._sites[site] = SiteWatchlist(site, 0, gallery)
        return True

    def forget(self, site: str) -> None:
        """Drop a site the worker no longer serves, from memory and disk."""
        self._sites.pop(site, None)
        (self._folder / f"{site}.bin").unlink(missing_ok=True)

    def remove(self, site: str) -> None:
        """The site's watchlist was deleted: match nobody there."""
        self.forget(site)
