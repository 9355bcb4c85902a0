"""A worker follows the buckets: a new watchlist changes whom it alerts on, without a
restart; a disabled camera stops; and the small scale test runs end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from clearsight.cluster import (
    CameraSpec,
    ClusterAlert,
    ClusterConfig,
    ConsumerCounters,
    SimulationData,
    WatchlistEntry,
    Worker,
    WorkerSettings,
    connect,
    consume_alerts,
    ensure_cluster,
    put_cameras,
    put_watchlist,
)
from clearsight.cluster._scale import ScaleOptions, run_scale_test
from clearsight.cluster._simulate import SimulatedCameras, SimulationRates
from clearsight.crypto import BlobCipher

from .conftest import synthetic_simulation

pytestmark = pytest.mark.timeout(120)


class ListSink:
    def __init__(self) -> None:
        self.alerts: list[ClusterAlert] = []

    def store_alert(self, alert: ClusterAlert) -> bool:
        self.alerts.append(alert)
        return True


def _entry(data: SimulationData, person: int) -> list[WatchlistEntry]:
    row = data.rows_of(person)[0]
    return [WatchlistEntry(f"person-{person}", data.names[person], data.embeddings[row])]


async def _until(condition: object, timeout: float) -> bool:
    for _ in range(int(timeout * 10)):
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.1)
    return False


def test_watchlist_and_camera_changes_reach_a_running_worker(
    nats_url: str, namespace: str, cipher: BlobCipher, tmp_path: Path
) -> None:
    config = ClusterConfig(nats_url=nats_url, namespace=namespace)
    data = synthetic_simulation()
    sink = ListSink()
    rates = SimulationRates(track_every_s=0.3, samples_per_track=(3, 3), sample_every_s=0.02)

    def runner(galleries, emit):  # type: ignore[no-untyped-def]
        return SimulatedCameras(data, galleries, emit, rates, seed=5)

    async def main() -> None:
        nc = await connect(config, name="test")
        js = nc.jetstream(timeout=5)
        buckets = await ensure_cluster(js, config)
        await put_watchlist(buckets, config, "north", data.model_id, _entry(data, 0), cipher)
        cameras = [CameraSpec(camera_id=f"c{i}", site="north", source="sim:") for i in range(4)]
        await put_cameras(buckets, cameras)
        worker = Worker(config, WorkerSettings(tmp_path / "w"), cipher, runner)
        stop, stop_consumer = asyncio.Event(), asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        consuming = asyncio.create_task(
            consume_alerts(js, config, sink, cipher, stop_consumer, ConsumerCounters())
        )
        try:
            assert await _until(lambda: len(sink.alerts) >= 3, 30)
            assert {a.subject_id for a in sink.alerts} == {"person-0"}
            # The watchlist changes: person 0 removed, person 1 listed.
            await put_watchlist(buckets, config, "north", data.model_id, _entry(data, 1), cipher)
            assert await _until(lambda: sink.alerts[-1].subject_id == "person-1", 20)
            switched = len(sink.alerts)
            assert await _until(lambda: len(sink.alerts) >= switched + 3, 20)
            assert {a.subject_id for a in sink.alerts[switched:]} == {"person-1"}
            # The camera settings change: c3 is disabled, and stops.
            assert "c3" in worker.heartbeat().cameras
            await put_cameras(buckets, [cameras[3].model_copy(update={"enabled": False})])
            assert await _until(lambda: "c3" not in worker.heartbeat().cameras, 10)
            assert sorted(worker.heartbeat().cameras) == ["c0", "c1", "c2"]
            on_disk = (tmp_path / "w" / "watchlists" / "north.bin").read_bytes()
            assert b"Person 1" not in on_disk and len(on_disk) > 100
        finally:
            stop.set()
            await running
            stop_consumer.set()
            await consuming
            await nc.close()

    asyncio.run(main())


@pytest.mark.postgres
def test_small_scale_test_runs_and_finds_every_alert_stored_once(
    nats_url: str, pg_dsn: str, sim_file: Path, tmp_path: Path
) -> None:
    lines: list[str] = []
    options = ScaleOptions(
        cameras=30,
        workers=2,
        sites=3,
        duration_s=9,
        track_every_s=1.0,
        nats_url=nats_url,
        dsn=pg_dsn,
        namespace="smallscale",
        folder=tmp_path,
        sim_data=sim_file,
    )
    report = asyncio.run(run_scale_test(options, lines.append))
    assert report.assignment_s is not None
    assert report.moved_cameras > 0 and report.failover_s is not None and report.failover_s < 10
    assert report.alerts_stored > 0 and report.missing == 0 and report.unexpected == 0
    assert report.stream_alerts == report.alerts_stored
    assert any("kill -9 worker" in line for line in lines)
    assert any("alerts stored" in line for line in report.lines())


def test_cluster_watchlist_publishes_the_configured_embedders_templates(
    nats_url: str, namespace: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A watchlist enrolled with the default model (SFace) is published as it is: the
    command's model defaults to the configured embedder's, not to dlib's."""
    from clearsight.cli import main
    from clearsight.demo import write_demo_photos

    def run(argv: list[str]) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        out, err = capsys.readouterr()
        code = exit_info.value.code
        return (code if isinstance(code, int) else 0), out, err

    photo = write_demo_photos(tmp_path / "photos")[0]
    watchlist, key = tmp_path / "w.db", tmp_path / "k.key"
    assert run(["enroll", "Eileen Collins", str(photo), "-w", str(watchlist)])[0] == 0
    assert run(["keys", "generate", "--out", str(key)])[0] == 0
    config = tmp_path / "c.toml"
    config.write_text(f'[cluster]\nnats_url = "{nats_url}"\nnamespace = "{namespace}"\n')
    code, out, err = run(
        ["cluster", "watchlist", "north", str(watchlist), "--config", str(config),
         "--key-file", str(key)]
    )  # fmt: skip
    assert code == 0, err
    assert "site north: 1 subjects, 1 templates" in out
