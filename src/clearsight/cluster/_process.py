"""Entry points of a worker process and of the alert consumer process (signals, logging)."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from clearsight.cluster._config import ClusterConfig, WorkerSettings
from clearsight.cluster._consumer import ConsumerCounters, consume_alerts
from clearsight.cluster._metrics import MetricsServer
from clearsight.cluster._nats import connect, ensure_cluster
from clearsight.cluster._pgsink import PostgresAlertSink
from clearsight.cluster._runner import AlertEmitter, CameraRunner, GalleryLookup
from clearsight.cluster._worker import RunnerFactory, Worker
from clearsight.crypto import BlobCipher

__all__ = ["pipeline_runner", "run_consumer", "run_worker", "simulated_runner"]

_log = logging.getLogger(__name__)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)


def simulated_runner(data_file: Path, track_every_s: float) -> RunnerFactory:
    """Simulated cameras from a simulation data file (see ``compute_simulation_data``)."""
    from clearsight.cluster._simdata import SimulationData
    from clearsight.cluster._simulate import SimulatedCameras, SimulationRates

    data = SimulationData.load(data_file)

    def factory(galleries: GalleryLookup, emit: AlertEmitter) -> CameraRunner:
        return SimulatedCameras(data, galleries, emit, SimulationRates(track_every_s=track_every_s))

    return factory


def pipeline_runner(config_file: Path | None) -> RunnerFactory:
    """Real cameras, one supervised pipeline process each (``clearsight.workers``), with
    pipeline settings from ``config_file`` (or defaults)."""
    from clearsight.cluster._supervised import SupervisedCameras
    from clearsight.config import ClearsightConfig, load_config

    config = load_config(config_file) if config_file else ClearsightConfig()

    def factory(galleries: GalleryLookup, emit: AlertEmitter) -> CameraRunner:
        return SupervisedCameras(config, galleries, emit)

    return factory


def run_worker(
    config: ClusterConfig, settings: WorkerSettings, cipher: BlobCipher, runner: RunnerFactory
) -> None:
    """Run a worker until SIGTERM or SIGINT; then give its cameras back and flush its buffer."""

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        worker = Worker(config, settings, cipher, runner)
        _log.info("worker %s starting (data in %s)", worker.worker_id, settings.data_dir)
        await worker.run(stop)

    asyncio.run(main())


def run_consumer(
    config: ClusterConfig,
    dsn: str,
    cipher: BlobCipher,
    schema: str,
    metrics_port: int | None = None,
) -> ConsumerCounters:
    """Store alerts from the stream in PostgreSQL until SIGTERM or SIGINT."""

    async def main() -> ConsumerCounters:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        sink = PostgresAlertSink(dsn, cipher, schema)
        sink.create_schema()
        counters = ConsumerCounters()
        server = None
        if metrics_port is not None:
            server = MetricsServer(
                lambda: counters.metrics_text(config.namespace), "127.0.0.1", metrics_port
            )
            await server.start()
        nc = await connect(config, name="clearsight-consumer", attempts=None)
        try:
            js = nc.jetstream(timeout=5)
            await ensure_cluster(js, config)
            return await consume_alerts(js, config, sink, cipher, stop, counters)
        finally:
            if server is not None:
                await server.close()
            await nc.close()
            sink.close()

    return asyncio.run(main())
