"""The service's cameras under a ``Supervisor``: the store's camera table drives the workers,
the approved watchlist is their gallery, alerts go to the service's ingestion and status
back to the camera table.

The store is polled (once a second by default) rather than called back, so a camera added,
edited or disabled through the web pages, the API or another process takes effect within
a poll, and a watchlist entry that is approved or reaches its expiry changes the workers'
gallery without restarting them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from clearsight.config import ClearsightConfig
from clearsight.errors import ClearsightError, NotFoundError, StoreError
from clearsight.match import Gallery
from clearsight.store import (
    BlobCipher,
    Database,
    EntryStatus,
    IdentityCipher,
    ReferencePhoto,
    WatchlistEntry,
    approved_gallery,
    cameras,
    utcnow,
)
from clearsight.types import Alert
from clearsight.workers._supervisor import Supervisor
from clearsight.workers._types import CameraSpec, CameraStatus, SupervisorOptions

log = logging.getLogger(__name__)

IngestFunction = Callable[[str, Alert], object]
"""Stores one alert from a camera (``camera_id, alert``); idempotent on ``alert.alert_id``."""

_INGEST_ATTEMPTS = 5


def camera_config(base: ClearsightConfig) -> ClearsightConfig:
    """What a camera worker runs: a video file is paced in real time and replayed forever,
    as a camera would deliver it."""
    ingest = base.ingest.model_copy(update={"realtime": True, "loop": True})
    return base.model_copy(update={"ingest": ingest})


class CameraRuntime:
    """Keeps one worker per enabled camera of the store running until ``stop``."""

    def __init__(
        self,
        db: Database,
        ingest: IngestFunction,
        config: ClearsightConfig | None = None,
        *,
        cipher: BlobCipher | None = None,
        model_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        options: SupervisorOptions | None = None,
        poll_interval_s: float = 1.0,
    ) -> None:
        self._db = db
        self._ingest = ingest
        self._config = camera_config(config or ClearsightConfig())
        self._cipher = cipher or IdentityCipher()
        self._model_id = model_id
        self._clock = clock
        self._poll_interval_s = poll_interval_s
        self._fingerprint: tuple[tuple[str, str], ...] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.supervisor = Supervisor(
            self._load_gallery, self._store_alert, self._store_status, options
        )

    def start(self) -> None:
        """Load the watchlist, start the enabled cameras, and poll for changes."""
        with self._db.read_session() as session:
            self._fingerprint = self._watchlist_fingerprint(session)
        self.supervisor.start()
        self.sync()
        poller = threading.Thread(target=self._poll, name="clearsight-cameras", daemon=True)
        poller.start()
        self._thread = poller  # only a started thread is ever joined by stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.supervisor.stop()

    def __enter__(self) -> CameraRuntime:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def sync(self) -> None:
        """One poll: apply the camera table, reload the gallery if the watchlist changed."""
        with self._db.read_session() as session:
            specs = [
                CameraSpec(c.id, c.name, c.source, c.enabled, self._config)
                for c in cameras.list_cameras(session)
            ]
            fingerprint = self._watchlist_fingerprint(session)
        self.supervisor.apply(specs)
        if fingerprint != self._fingerprint:
            version = self.supervisor.reload_gallery()
            self._fingerprint = fingerprint
            log.info("watchlist changed: gallery version %d sent to the cameras", version)

    def _poll(self) -> None:
        while not self._stop.wait(self._poll_interval_s):
            try:
                self.sync()
            except Exception:  # a bad round (database busy...) is retried at the next poll
                log.exception("camera poll failed")

    def _watchlist_fingerprint(self, session: Session) -> tuple[tuple[str, str], ...]:
        """The reference photos that are matchable now; it changes when an entry is approved,
        expires (by the clock, before any purge) or is purged."""
        rows = session.execute(
            select(WatchlistEntry.id, ReferencePhoto.id)
            .join(ReferencePhoto, ReferencePhoto.entry_id == WatchlistEntry.id)
            .where(
                WatchlistEntry.status == EntryStatus.APPROVED.value,
                WatchlistEntry.expires_at > self._clock(),
            )
            .order_by(WatchlistEntry.id, ReferencePhoto.id)
        ).all()
        return tuple((str(entry), str(photo)) for entry, photo in rows)

    def _load_gallery(self) -> Gallery:
        with self._db.read_session() as session:
            return approved_gallery(session, self._clock(), self._cipher, self._model_id)

    def _store_alert(self, camera_id: str, alert: Alert) -> None:
        delay = 0.2
        for attempt in range(1, _INGEST_ATTEMPTS + 1):
            try:
                self._ingest(camera_id, alert)
                return
            except (StoreError, DBAPIError) as error:
                if isinstance(error, NotFoundError) or attempt == _INGEST_ATTEMPTS:
                    log.error(
                        "camera %s: alert %s not stored: %s", camera_id, alert.alert_id, error
                    )
                    return
                time.sleep(delay)
                delay *= 2
            except ClearsightError as error:  # e.g. the entry expired since the match
                log.warning("camera %s: alert %s refused: %s", camera_id, alert.alert_id, error)
                return

    def _store_status(self, camera_id: str, status: CameraStatus) -> None:
        try:
            with self._db.session() as session:
                cameras.report_status(
                    session,
                    camera_id,
                    status.state.value,
                    self._clock(),
                    status.analysed_fps,
                    status.last_frame_at,
                    status.last_error,
                    status.next_restart_at,
                )
        except NotFoundError:
            pass  # the camera was deleted meanwhile
