"""The body of a camera worker process: source -> pipeline -> alerts out through a pipe.

Zero retention: frames, faces and templates of people who match nobody stay inside this
process and are dropped with their track; only alerts (matches) and numeric status reports
are sent to the supervisor.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection

from clearsight.ingest import ConnectionProblem, FrameSource
from clearsight.match import AutoSearch, Gallery
from clearsight.workers._source import open_camera_source
from clearsight.workers._types import (
    AlertReport,
    CameraSpec,
    GalleryUpdate,
    StopRequest,
    WorkerReport,
    WorkerState,
)

log = logging.getLogger(__name__)
_CONNECTION_POLL_S = 0.25


class _Outbox:
    """Sends reports to the supervisor from the frame loop and the control thread."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, message: object) -> None:
        with self._lock:
            self._conn.send(message)


class _Meter:
    """Analysed frames per second over each report interval."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.frames = 0
        self.alerts = 0
        self.last_frame_at: datetime | None = None
        self._window_start = time.monotonic()
        self._window_frames = 0
        self._fps = 0.0

    def tick(self, alerts: int) -> None:
        if self.frames == 0:  # the rate counts from the first frame, not from model loading
            self._window_start = time.monotonic()
        self.frames += 1
        self.alerts += alerts
        self._window_frames += 1
        self.last_frame_at = datetime.now(UTC)

    def due(self) -> bool:
        # The first frame is reported at once, so the status page shows the camera running.
        return self.frames == 1 or time.monotonic() - self._window_start >= self.interval_s

    def report(
        self, state: WorkerState, error: str | None = None, next_try_at: datetime | None = None
    ) -> WorkerReport:
        now = time.monotonic()
        elapsed = now - self._window_start
        if elapsed >= self.interval_s / 2:  # too short a window says nothing about the rate
            self._fps = self._window_frames / elapsed
            self._window_start, self._window_frames = now, 0
        return WorkerReport(
            state, self._fps, self.frames, self.alerts, self.last_frame_at, error, next_try_at
        )


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return (
        text
        if type(error).__module__.startswith("clearsight")
        else f"{type(error).__name__}: {text}"
    )


def run_worker(
    spec: CameraSpec,
    gallery: Gallery,
    reports: Connection,
    control: Connection,
    status_interval_s: float,
) -> None:
    """Process entry point (spawn): run ``spec``'s camera until stopped or its source ends.

    Exits with status 1 after reporting the error when the source or pipeline fails, so
    the supervisor restarts it with backoff.
    """
    # Ctrl-C in a terminal reaches the whole process group; the supervisor stops workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format=f"camera {spec.name}: %(message)s")
    outbox = _Outbox(reports)
    meter = _Meter(status_interval_s)
    outbox.send(meter.report(WorkerState.STARTING))
    try:
        stopped = _run(spec, gallery, outbox, meter, control)
    except Exception as error:  # reported, then the supervisor restarts the worker
        outbox.send(meter.report(WorkerState.BACKOFF, _describe(error)))
        raise SystemExit(1) from None
    if not stopped:
        outbox.send(meter.report(WorkerState.FINISHED))


def _run(
    spec: CameraSpec, gallery: Gallery, outbox: _Outbox, meter: _Meter, control: Connection
) -> bool:
    """Analyse frames until the source ends (False) or a stop is requested (True)."""
    source = open_camera_source(spec.source, spec.config.ingest)
    # Imported here: the supervisor's process never loads detectors or embedders.
    from clearsight.pipeline import Pipeline, create_models

    models = create_models(spec.config)  # whichever detector and embedder it names
    pipeline = Pipeline(
        spec.config,
        gallery,
        card=models.card,
        detector=models.detector,
        embedder=models.embedder,
        point=models.point,
    )
    # Exact search at once, a FAISS index swapped in later for a very large watchlist.
    search = AutoSearch(on_swap=pipeline.set_gallery)
    search.update(gallery)
    stop = threading.Event()
    listener = threading.Thread(
        target=_listen,
        args=(control, search, stop, source, outbox, meter),
        name="clearsight-worker-control",
        daemon=True,
    )
    listener.start()
    threading.Thread(
        target=_watch_connection,
        args=(source, stop, outbox, meter),
        name="clearsight-worker-connection",
        daemon=True,
    ).start()
    with source:
        for frame in source:
            if stop.is_set():
                break
            alerts = pipeline.process(frame)
            for alert in alerts:
                # Named by the camera, never by its source: a stream URL may hold credentials.
                outbox.send(AlertReport(replace(alert, source=spec.name)))
            meter.tick(len(alerts))
            if meter.due():
                outbox.send(meter.report(WorkerState.RUNNING))
    pipeline.flush()
    return stop.is_set()


def _listen(
    control: Connection,
    search: AutoSearch,
    stop: threading.Event,
    source: FrameSource,
    outbox: _Outbox,
    meter: _Meter,
) -> None:
    """Apply gallery updates while frames keep flowing; stop on request or if the supervisor
    goes away (its end of the pipe closes)."""
    while True:
        try:
            message = control.recv()
        except (EOFError, OSError):
            message = StopRequest()
        if isinstance(message, StopRequest):
            stop.set()
            source.close()  # wakes a live source waiting for its next frame
            return
        if isinstance(message, GalleryUpdate):
            try:
                search.update(message.gallery)
            except ValueError as error:  # a gallery of another model: keep the old one
                outbox.send(meter.report(WorkerState.RUNNING, _describe(error)))


_CREDENTIALS = re.compile(r"(\w+://)[^/@\s]+@")


def redact(text: str) -> str:
    """A stream URL's user name and password out of a message shown on the status page."""
    return _CREDENTIALS.sub(r"\1***@", text)


def _watch_connection(
    source: FrameSource, stop: threading.Event, outbox: _Outbox, meter: _Meter
) -> None:
    """Report a live source that cannot reach its stream as RECONNECTING, with the error and
    the next try, each time either changes; the frame loop reports RUNNING once frames flow.
    Without this a camera nobody answers for stays "starting" with no error."""
    last: ConnectionProblem | None = None
    while not stop.wait(_CONNECTION_POLL_S):
        problem = getattr(source, "connection_problem", None)
        if not isinstance(problem, ConnectionProblem) or problem == last:
            continue
        last = problem
        try:
            outbox.send(
                meter.report(WorkerState.RECONNECTING, redact(problem.error), problem.next_try_at)
            )
        except (OSError, ValueError):
            return  # the supervisor is gone
