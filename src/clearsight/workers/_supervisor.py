"""Per-camera process supervision: one spawned worker per enabled camera, restarted with
exponential backoff when it dies, stopped when its camera is disabled or removed.

Each worker gets its own pair of pipes (reports out, control in) for each run. A pipe is
used rather than one queue shared by all workers because a worker killed with SIGKILL in
the middle of a write would leave a shared queue's lock held and stall every other camera;
a broken per-worker pipe is simply thrown away with the dead worker.

A monitor thread waits on every worker's pipe and process sentinel at once; callbacks
(``on_alert``, ``on_status``) run on a separate dispatcher thread, so a slow database write
never delays noticing a dead worker.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from clearsight.match import Gallery
from clearsight.types import Alert
from clearsight.workers._child import run_worker
from clearsight.workers._record import WorkerRecord, death_reason, idle_status, searchless
from clearsight.workers._types import (
    AlertReport,
    CameraSpec,
    CameraStatus,
    GalleryUpdate,
    StopRequest,
    SupervisorOptions,
    WorkerReport,
    WorkerState,
)

log = logging.getLogger(__name__)

AlertCallback = Callable[[str, Alert], None]
StatusCallback = Callable[[str, CameraStatus], None]
_TICK_S = 0.2


class Supervisor:
    """Runs a worker process for each enabled camera given to ``apply``.

    ``load_gallery`` is called at ``start`` and on each ``reload_gallery`` (from the
    caller's thread); ``on_alert`` and ``on_status`` are called from the dispatcher thread.
    """

    def __init__(
        self,
        load_gallery: Callable[[], Gallery],
        on_alert: AlertCallback,
        on_status: StatusCallback,
        options: SupervisorOptions | None = None,
    ) -> None:
        self.options = options or SupervisorOptions()
        self._load_gallery = load_gallery
        self._on_alert = on_alert
        self._on_status = on_status
        self._mp = multiprocessing.get_context("spawn")
        self._lock = threading.RLock()
        self._workers: dict[str, WorkerRecord] = {}
        self._gallery: Gallery | None = None
        self.gallery_version = 0
        self._events: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []

    # Lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Load the gallery and start the monitor and dispatcher threads."""
        if self._threads:
            return
        self._gallery = searchless(self._load_gallery())
        self.gallery_version = 1
        for target, name in ((self._monitor, "monitor"), (self._dispatch, "dispatch")):
            thread = threading.Thread(
                target=target, name=f"clearsight-supervisor-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop every worker (terminating any that do not stop in time) and the threads."""
        self.apply([])
        deadline = time.monotonic() + 2 * self.options.stop_grace_s + 2
        while time.monotonic() < deadline:
            with self._lock:
                if not self._workers:
                    break
            time.sleep(_TICK_S)
        self._closing.set()
        for thread in self._threads:
            if thread.name.endswith("monitor"):
                thread.join(timeout=5)
        with self._lock:
            for worker in self._workers.values():
                self._kill(worker)
            self._workers.clear()
        self._events.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> Supervisor:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # Commands --------------------------------------------------------------------------

    def apply(self, specs: Iterable[CameraSpec]) -> None:
        """Make the running workers match ``specs``: start new enabled cameras, restart
        changed ones, stop disabled and missing ones."""
        wanted = {spec.camera_id: spec for spec in specs if spec.enabled}
        with self._lock:
            for camera_id, worker in self._workers.items():
                spec = wanted.get(camera_id)
                if spec is None and worker.process is None:
                    if worker.removed:
                        continue
                    worker.removed = True  # in backoff or finished: nothing to stop
                    worker.next_start_at = None
                    self._set_status(worker, replace(worker.status, state=WorkerState.STOPPED))
                elif spec is None or spec != worker.spec:
                    worker.removed = spec is None
                    self._request_stop(worker)
            for camera_id, spec in wanted.items():
                known = self._workers.get(camera_id)
                if known is None:
                    worker = WorkerRecord(spec, idle_status())
                    self._workers[camera_id] = worker
                    self._start(worker)
                else:
                    worker = known
                    # A changed spec takes effect when the old process has stopped (or at
                    # the next restart of a worker in backoff).
                    worker.spec = spec
                    relaunch = worker.removed and worker.process is None
                    worker.removed = False
                    if relaunch:
                        self._start(worker)

    def reload_gallery(self) -> int:
        """Load the watchlist again and hand it to every running worker without restarting
        them; returns the new gallery version."""
        gallery = searchless(self._load_gallery())
        with self._lock:
            self._gallery = gallery
            self.gallery_version += 1
            update = GalleryUpdate(self.gallery_version, gallery)
            for worker in self._workers.values():
                if worker.control is not None and worker.stop_deadline is None:
                    self._send(worker, update)
            return self.gallery_version

    def statuses(self) -> dict[str, CameraStatus]:
        with self._lock:
            return {camera_id: w.status for camera_id, w in self._workers.items()}

    # Worker processes (called with the lock held) ---------------------------------------

    def _start(self, worker: WorkerRecord) -> None:
        """Launch, or back off as if the worker had died when no process can be started
        (out of memory, too many processes...)."""
        try:
            self._launch(worker)
        except OSError as error:
            self._close_pipes(worker)
            worker.process = None
            worker.started_at = time.monotonic()
            self._back_off(worker, f"cannot start a worker process: {error}", time.monotonic())

    def _launch(self, worker: WorkerRecord) -> None:
        if self._gallery is None:
            raise RuntimeError("Supervisor.start() must be called before cameras are applied")
        reports_in, reports_out = self._mp.Pipe(duplex=False)  # (receiving end, sending end)
        control_in, control_out = self._mp.Pipe(duplex=False)
        process = self._mp.Process(
            target=run_worker,
            args=(
                worker.spec,
                self._gallery,
                reports_out,
                control_in,
                self.options.status_interval_s,
            ),
            name=f"clearsight-camera-{worker.spec.name}",
            daemon=True,
        )
        try:
            process.start()
        except OSError:
            for conn in (reports_in, reports_out, control_in, control_out):
                conn.close()
            raise
        reports_out.close()  # the child holds its own copies now
        control_in.close()
        worker.process, worker.reports, worker.control = process, reports_in, control_out
        worker.started_at = time.monotonic()
        worker.next_start_at = None
        worker.stop_deadline = None
        worker.reported_error = None
        self._set_status(
            worker,
            replace(
                worker.status,
                state=WorkerState.STARTING,
                analysed_fps=0.0,
                frames=0,
                alerts=0,
                pid=process.pid,
                next_restart_at=None,
            ),
        )

    def _send(self, worker: WorkerRecord, message: object) -> None:
        if worker.control is None:
            return
        # A worker that is gone raises here; the monitor handles its death.
        with contextlib.suppress(OSError, ValueError):
            worker.control.send(message)

    def _request_stop(self, worker: WorkerRecord) -> None:
        if worker.process is None:
            return
        if worker.stop_deadline is None:
            worker.stop_deadline = time.monotonic() + self.options.stop_grace_s
            self._send(worker, StopRequest())
            self._set_status(worker, replace(worker.status, state=WorkerState.STOPPING))

    def _kill(self, worker: WorkerRecord) -> None:
        if worker.process is not None and worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        self._close_pipes(worker)

    def _close_pipes(self, worker: WorkerRecord) -> None:
        for conn in (worker.reports, worker.control):
            if conn is not None:
                conn.close()
        worker.reports = worker.control = None

    def _set_status(self, worker: WorkerRecord, status: CameraStatus) -> None:
        worker.status = status
        camera_id = worker.spec.camera_id
        self._events.put(lambda: self._on_status(camera_id, status))

    # Monitor thread ----------------------------------------------------------------------

    def _monitor(self) -> None:
        while not self._closing.is_set():
            with self._lock:
                waitables: list[Connection | int] = []
                for worker in self._workers.values():
                    if worker.reports is not None and worker.process is not None:
                        waitables += [worker.reports, worker.process.sentinel]
            ready = set(wait(waitables, timeout=_TICK_S)) if waitables else set()
            if not waitables:
                time.sleep(_TICK_S)
            try:
                with self._lock:
                    self._round(ready)
            except Exception:  # the monitor must outlive any one bad round
                log.exception("camera supervisor round failed")

    def _round(self, ready: set[Any]) -> None:
        now = time.monotonic()
        for camera_id, worker in list(self._workers.items()):
            if worker.reports is not None and worker.reports in ready:
                self._drain(worker)
            process = worker.process
            if process is not None and (process.sentinel in ready or not process.is_alive()):
                self._drain(worker)
                process.join(timeout=1)
                self._ended(worker, process.exitcode, now)
            elif process is not None and worker.stop_deadline is not None:
                self._enforce_stop(worker, process, now)
            if worker.process is None and worker.removed:
                del self._workers[camera_id]
            elif worker.next_start_at is not None and now >= worker.next_start_at:
                worker.status = replace(worker.status, restarts=worker.status.restarts + 1)
                self._start(worker)

    def _enforce_stop(self, worker: WorkerRecord, process: BaseProcess, now: float) -> None:
        deadline = worker.stop_deadline or now
        if now > deadline + self.options.stop_grace_s:
            process.kill()
        elif now > deadline:
            process.terminate()

    def _drain(self, worker: WorkerRecord) -> None:
        conn = worker.reports
        if conn is None:
            return
        try:
            while conn.poll():
                self._handle(worker, conn.recv())
        except (EOFError, OSError):
            pass  # the worker is gone (or died mid-message); its sentinel says so

    def _handle(self, worker: WorkerRecord, message: object) -> None:
        camera_id = worker.spec.camera_id
        if isinstance(message, AlertReport):
            alert = message.alert
            self._events.put(lambda: self._on_alert(camera_id, alert))
        elif isinstance(message, WorkerReport):
            if message.error:
                worker.reported_error = message.error
            if message.state == WorkerState.BACKOFF:
                return  # its last words; the status follows when the process is gone
            state = message.state if worker.stop_deadline is None else WorkerState.STOPPING
            self._set_status(
                worker,
                replace(
                    worker.status,
                    state=state,
                    analysed_fps=message.analysed_fps,
                    frames=message.frames,
                    alerts=message.alerts,
                    last_frame_at=message.last_frame_at or worker.status.last_frame_at,
                    last_error=message.error or worker.status.last_error,
                    next_restart_at=message.next_try_at,
                ),
            )

    def _ended(self, worker: WorkerRecord, exitcode: int | None, now: float) -> None:
        """A worker process is gone: stopped on request, finished, or died (backoff)."""
        self._close_pipes(worker)
        worker.process = None
        stopping = worker.stop_deadline is not None
        worker.stop_deadline = None
        base = replace(worker.status, analysed_fps=0.0, pid=None)
        if stopping:
            if worker.removed:
                self._set_status(worker, replace(base, state=WorkerState.STOPPED))
            else:  # its spec changed: start it again with the new one
                self._start(worker)
            return
        if exitcode == 0:
            self._set_status(worker, replace(base, state=WorkerState.FINISHED))
            return
        self._back_off(worker, worker.reported_error or death_reason(exitcode), now)

    def _back_off(self, worker: WorkerRecord, reason: str, now: float) -> None:
        if now - worker.started_at >= self.options.healthy_after_s:
            worker.failures = 0
        worker.failures += 1
        delay = min(
            self.options.backoff_initial_s * 2 ** (worker.failures - 1), self.options.backoff_max_s
        )
        worker.next_start_at = now + delay
        log.warning("camera %s: %s; restarting in %.1f s", worker.spec.name, reason, delay)
        self._set_status(
            worker,
            replace(
                worker.status,
                state=WorkerState.BACKOFF,
                analysed_fps=0.0,
                pid=None,
                last_error=reason,
                next_restart_at=datetime.now(UTC) + timedelta(seconds=delay),
            ),
        )

    # Dispatcher thread -------------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                return
            try:
                event()
            except Exception:  # one failing callback must not stop the others
                log.exception("camera supervisor callback failed")
