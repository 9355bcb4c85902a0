"""The supervisor with real worker processes (spawned), the real models and the demo clip."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from tests.workers.conftest import Recorder, camera_config

from clearsight.match import Gallery
from clearsight.workers import CameraSpec, Supervisor, SupervisorOptions, WorkerState

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def test_alert_crosses_the_process_boundary_and_nothing_else_does(
    demo_clip: Path, collins_gallery: Gallery, recorder: Recorder, fast_options: SupervisorOptions
) -> None:
    spec = CameraSpec("cam-1", "entrance", str(demo_clip), True, camera_config(loop=False))
    with Supervisor(
        lambda: collins_gallery, recorder.on_alert, recorder.on_status, fast_options
    ) as sup:
        sup.apply([spec])
        finished = recorder.wait_state("cam-1", WorkerState.FINISHED, timeout=120)
    # Collins walks past first, Grace Hopper (not enrolled) second: one alert, hers only.
    assert [(camera, a.subject_name) for camera, a in recorder.alerts] == [
        ("cam-1", "Eileen Collins")
    ]
    alert = recorder.alerts[0][1]
    assert alert.subject_id == "subject-collins" and alert.score > 0.5
    assert alert.source == "entrance"  # the camera's name, not its source string
    assert alert.best_crop.ndim == 3 and alert.best_crop.shape[0] > 50
    assert finished.frames >= 30 and finished.alerts == 1 and finished.restarts == 0
    # Status reports carry numbers, times and text only: no pixels or templates of anyone.
    for _, _, status in recorder.statuses:
        for value in vars(status).values():
            assert not isinstance(value, np.ndarray)
            assert value is None or isinstance(value, (int, float, str, datetime))


def test_a_failing_source_is_restarted_with_growing_backoff(
    tmp_path: Path, empty_gallery: Gallery, recorder: Recorder
) -> None:
    options = SupervisorOptions(backoff_initial_s=0.5, backoff_max_s=2.0, status_interval_s=0.5)
    missing = tmp_path / "unplugged.mp4"
    spec = CameraSpec("cam-x", "broken", str(missing), True, camera_config(loop=True))
    with Supervisor(lambda: empty_gallery, recorder.on_alert, recorder.on_status, options) as sup:
        sup.apply([spec])
        recorder.wait_for(
            lambda: sum(s.state == WorkerState.BACKOFF for _, _, s in recorder.statuses) >= 4,
            timeout=90,
            what="four deaths",
        )
    backoffs = [(t, s) for t, _, s in recorder.statuses if s.state == WorkerState.BACKOFF]
    assert all("unplugged.mp4" in (s.last_error or "") for _, s in backoffs)
    assert "no such file" in (backoffs[0][1].last_error or "")
    # Each death's announced delay doubles up to the cap: 0.5, 1, 2, 2 seconds.
    delays = []
    for received, status in backoffs[:4]:
        assert status.next_restart_at is not None
        delays.append(status.next_restart_at.timestamp() - received)
    assert delays == pytest.approx([0.5, 1.0, 2.0, 2.0], abs=0.3)
    starts = [s for _, _, s in recorder.statuses if s.state == WorkerState.STARTING and s.pid]
    assert len({s.pid for s in starts}) >= 4  # a fresh process each time
    assert max(s.restarts for _, s in backoffs) >= 3
    assert recorder.alerts == []


def test_a_killed_worker_comes_back_and_a_disabled_one_stops(
    demo_clip: Path, empty_gallery: Gallery, recorder: Recorder, fast_options: SupervisorOptions
) -> None:
    spec = CameraSpec("cam-2", "till", str(demo_clip), True, camera_config(loop=True, max_fps=2))
    with Supervisor(
        lambda: empty_gallery, recorder.on_alert, recorder.on_status, fast_options
    ) as sup:
        sup.apply([spec])
        first = recorder.wait_state("cam-2", WorkerState.RUNNING, timeout=90)
        assert first.pid is not None and first.restarts == 0
        os.kill(first.pid, signal.SIGKILL)
        died = recorder.wait_state("cam-2", WorkerState.BACKOFF, timeout=30)
        assert died.last_error == "worker process killed by SIGKILL"
        again = recorder.wait_state("cam-2", WorkerState.RUNNING, timeout=90)
        assert again.pid not in (None, first.pid) and again.restarts == 1
        assert again.last_error == "worker process killed by SIGKILL"  # kept for the page

        sup.apply([replace(spec, enabled=False)])
        recorder.wait_state("cam-2", WorkerState.STOPPED, timeout=30)
        assert again.pid is not None and not _alive(again.pid)
        assert "cam-2" not in sup.statuses()


def test_a_gallery_swap_takes_effect_without_a_restart(
    demo_clip: Path,
    empty_gallery: Gallery,
    collins_gallery: Gallery,
    recorder: Recorder,
    fast_options: SupervisorOptions,
) -> None:
    current = {"gallery": empty_gallery}
    spec = CameraSpec("cam-3", "aisle", str(demo_clip), True, camera_config(loop=True))
    sup = Supervisor(
        lambda: current["gallery"], recorder.on_alert, recorder.on_status, fast_options
    )
    with sup:
        sup.apply([spec])
        running = recorder.wait_state("cam-3", WorkerState.RUNNING, timeout=90)
        # A whole pass of the clip (8 s) with nobody enrolled: no alert.
        recorder.wait_for(
            lambda: (recorder.latest("cam-3") or running).frames >= 45, 60, "a full pass"
        )
        assert recorder.alerts == []
        current["gallery"] = collins_gallery
        assert sup.reload_gallery() == 2
        recorder.wait_for(lambda: bool(recorder.alerts), timeout=60, what="an alert")
        latest = recorder.latest("cam-3")
    assert recorder.alerts[0][1].subject_name == "Eileen Collins"
    assert latest is not None and latest.pid == running.pid and latest.restarts == 0
