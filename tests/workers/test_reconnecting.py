"""A camera nobody answers for: its status says "reconnecting", with the last error and the
next try, within one backoff period (it used to stay "starting" with no error)."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from tests.workers.conftest import Recorder

from clearsight.config import ClearsightConfig, IngestConfig
from clearsight.match import Gallery
from clearsight.workers import CameraSpec, Supervisor, SupervisorOptions, WorkerState

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_stream_reports_reconnecting_with_its_error_and_next_try(
    empty_gallery: Gallery, recorder: Recorder, fast_options: SupervisorOptions
) -> None:
    port = _closed_port()
    config = ClearsightConfig(ingest=IngestConfig(reconnect_initial_s=1.0, reconnect_max_s=4.0))
    url = f"rtsp://viewer:secret@127.0.0.1:{port}/live"
    spec = CameraSpec("cam-r", "back door", url, True, config)
    with Supervisor(
        lambda: empty_gallery, recorder.on_alert, recorder.on_status, fast_options
    ) as sup:
        sup.apply([spec])
        started = recorder.wait_state("cam-r", WorkerState.STARTING, timeout=30)
        assert started.last_error is None
        # The worker loads its models, tries the stream, fails: within a backoff period of the
        # first try the status says so (model loading is the slow part, not the report).
        status = recorder.wait_state("cam-r", WorkerState.RECONNECTING, timeout=90)
        seen_at = datetime.now(UTC)
        assert status.last_error is not None and f"127.0.0.1:{port}" in status.last_error
        assert "secret" not in status.last_error  # the stream's password is not shown
        assert status.next_restart_at is not None
        assert seen_at - timedelta(seconds=1) <= status.next_restart_at
        assert status.next_restart_at <= seen_at + timedelta(seconds=4.5)
        assert status.pid is not None  # the worker runs and keeps trying; it did not die
        # It keeps trying, each try reported with its own next time.
        recorder.wait_for(
            lambda: (
                len(
                    {
                        s.next_restart_at
                        for _, c, s in recorder.statuses
                        if c == "cam-r" and s.state == WorkerState.RECONNECTING
                    }
                )
                >= 2
            ),
            timeout=15,
            what="a second reconnect attempt",
        )
        time.sleep(0.2)
    states = [s.state for _, c, s in recorder.statuses if c == "cam-r"]
    assert WorkerState.RUNNING not in states
