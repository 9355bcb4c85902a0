"""Worker lifecycle beyond crashes: an edited camera restarts with its new spec, and workers
never outlive their supervisor, even one killed with SIGKILL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from tests.workers.conftest import Recorder, camera_config

from clearsight.match import Gallery
from clearsight.workers import CameraSpec, Supervisor, SupervisorOptions, WorkerState

pytestmark = pytest.mark.slow


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        if not stat.exists() or stat.read_text().split(")")[-1].split()[0] == "Z":
            return True
        time.sleep(0.2)
    return False


def test_an_edited_camera_restarts_with_its_new_source(
    tmp_path: Path,
    demo_clip: Path,
    empty_gallery: Gallery,
    recorder: Recorder,
    fast_options: SupervisorOptions,
) -> None:
    moved = shutil.copy(demo_clip, tmp_path / "moved.mp4")
    spec = CameraSpec("cam-e", "lobby", str(demo_clip), True, camera_config(loop=True, max_fps=2))
    with Supervisor(
        lambda: empty_gallery, recorder.on_alert, recorder.on_status, fast_options
    ) as sup:
        sup.apply([spec])
        first = recorder.wait_state("cam-e", WorkerState.RUNNING, timeout=90)
        sup.apply([replace(spec, source=str(moved))])
        recorder.wait_for(
            lambda: any(
                s.state == WorkerState.RUNNING and s.pid not in (None, first.pid)
                for _, c, s in recorder.statuses
                if c == "cam-e"
            ),
            timeout=90,
            what="a new worker on the new source",
        )
        states = [s.state for _, c, s in recorder.statuses if c == "cam-e"]
        assert WorkerState.STOPPING in states and WorkerState.BACKOFF not in states
        latest = recorder.latest("cam-e")
        assert latest is not None and latest.restarts == 0 and latest.last_error is None
        assert first.pid is not None and _gone(first.pid, 10)


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path, demo_clip: Path) -> None:
    pid_file = tmp_path / "worker.pid"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from clearsight.config import ClearsightConfig, IngestConfig
        from clearsight.match import Gallery
        from clearsight.workers import CameraSpec, Supervisor, WorkerState

        def on_status(camera_id, status):
            if status.state == WorkerState.RUNNING and status.pid:
                Path({str(pid_file)!r}).write_text(str(status.pid))

        if __name__ == "__main__":
            config = ClearsightConfig(ingest=IngestConfig(realtime=True, loop=True, max_fps=2))
            sup = Supervisor(lambda: Gallery.build("", []), lambda c, a: None, on_status)
            sup.start()
            sup.apply([CameraSpec("c", "c", {str(demo_clip)!r}, True, config)])
            time.sleep(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 90
        while not pid_file.exists():
            assert time.monotonic() < deadline, "the worker never reported running"
            assert parent.poll() is None, "the supervisor process died"
            time.sleep(0.3)
        worker = int(pid_file.read_text())
        assert not _gone(worker, 0.5)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert _gone(worker, 15), "the worker outlived its supervisor"
    finally:
        if parent.poll() is None:
            parent.kill()
        if pid_file.exists():
            pid = int(pid_file.read_text())
            if not _gone(pid, 0):
                os.kill(pid, signal.SIGKILL)


def test_a_worker_that_cannot_be_started_is_retried_with_backoff(
    tmp_path: Path,
    empty_gallery: Gallery,
    recorder: Recorder,
    fast_options: SupervisorOptions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sup = Supervisor(lambda: empty_gallery, recorder.on_alert, recorder.on_status, fast_options)
    real_process = sup._mp.Process
    calls = []

    def first_start_fails(*args: object, **kwargs: object) -> object:
        process = real_process(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(process)
        if len(calls) == 1:

            def no_memory() -> None:
                raise OSError(12, "Cannot allocate memory")

            monkeypatch.setattr(process, "start", no_memory)
        return process

    monkeypatch.setattr(sup._mp, "Process", first_start_fails)
    spec = CameraSpec("cam-m", "m", str(tmp_path / "absent.mp4"), True, camera_config(loop=True))
    with sup:
        sup.apply([spec])
        failed = recorder.wait_state("cam-m", WorkerState.BACKOFF, timeout=10)
        assert (
            failed.last_error == "cannot start a worker process: [Errno 12] Cannot allocate memory"
        )
        # The retry starts a real process (whose source is missing: it backs off in turn).
        recorder.wait_for(
            lambda: any(s.pid for _, _, s in recorder.statuses), timeout=30, what="a retry"
        )
    assert len(calls) >= 2
