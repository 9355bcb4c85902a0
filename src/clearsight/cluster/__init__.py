"""Scale-out on NATS JetStream: camera leases, edge matching and durable alerts.

Workers (``clearsight worker --nats URL``) lease cameras from a KV bucket, hold their sites'
watchlists (encrypted) and match locally; only candidate alerts with evidence cross the
network, to a JetStream stream that the service consumes into its store, acknowledging only
after the commit. See docs/scale-out.md.
"""

from typing import TYPE_CHECKING

from clearsight._lazy import lazy_attributes
from clearsight.cluster._config import ClusterConfig, ClusterNames, WorkerSettings, check_name
from clearsight.cluster._leases import LeasePlan, LeaseView, plan_leases
from clearsight.cluster._outbox import Outbox, OutboxEntry
from clearsight.cluster._runner import (
    AlertEmitter,
    CameraRunner,
    GalleryLookup,
    RunnerStats,
    to_cluster_alert,
)
from clearsight.cluster._simdata import SimulationData, compute_simulation_data
from clearsight.cluster._watchlists import (
    WatchlistCache,
    WatchlistEntry,
    open_watchlist,
    seal_watchlist,
)
from clearsight.cluster._wire import (
    CameraSpec,
    ClusterAlert,
    LeaseRecord,
    WorkerHeartbeat,
    open_alert,
    parse_wire,
    seal_alert,
)

if TYPE_CHECKING:
    from clearsight.cluster._admin import (
        ClusterStatus,
        WorkerStatus,
        put_cameras,
        put_watchlist,
        read_status,
    )
    from clearsight.cluster._consumer import AlertSink, ConsumerCounters, consume_alerts
    from clearsight.cluster._nats import (
        ClusterBuckets,
        NatsUnavailableError,
        connect,
        ensure_cluster,
    )
    from clearsight.cluster._pgsink import PostgresAlertSink
    from clearsight.cluster._process import (
        pipeline_runner,
        run_consumer,
        run_worker,
        simulated_runner,
    )
    from clearsight.cluster._worker import RunnerFactory, Worker

__all__ = [
    "AlertEmitter",
    "AlertSink",
    "CameraRunner",
    "CameraSpec",
    "ClusterAlert",
    "ClusterBuckets",
    "ClusterConfig",
    "ClusterNames",
    "ClusterStatus",
    "ConsumerCounters",
    "GalleryLookup",
    "LeasePlan",
    "LeaseRecord",
    "LeaseView",
    "NatsUnavailableError",
    "Outbox",
    "OutboxEntry",
    "PostgresAlertSink",
    "RunnerFactory",
    "RunnerStats",
    "SimulationData",
    "WatchlistCache",
    "WatchlistEntry",
    "Worker",
    "WorkerHeartbeat",
    "WorkerSettings",
    "WorkerStatus",
    "check_name",
    "compute_simulation_data",
    "connect",
    "consume_alerts",
    "ensure_cluster",
    "open_alert",
    "open_watchlist",
    "parse_wire",
    "pipeline_runner",
    "plan_leases",
    "put_cameras",
    "put_watchlist",
    "read_status",
    "run_consumer",
    "run_worker",
    "seal_alert",
    "seal_watchlist",
    "simulated_runner",
    "to_cluster_alert",
]

# The NATS and PostgreSQL clients load on first use of the names that need them, so the
# settings (``ClusterConfig``) and the wire types import without them.
_LAZY = {
    "AlertSink": "_consumer",
    "ClusterBuckets": "_nats",
    "ClusterStatus": "_admin",
    "ConsumerCounters": "_consumer",
    "NatsUnavailableError": "_nats",
    "PostgresAlertSink": "_pgsink",
    "RunnerFactory": "_worker",
    "Worker": "_worker",
    "WorkerStatus": "_admin",
    "connect": "_nats",
    "consume_alerts": "_consumer",
    "ensure_cluster": "_nats",
    "pipeline_runner": "_process",
    "put_cameras": "_admin",
    "put_watchlist": "_admin",
    "read_status": "_admin",
    "run_consumer": "_process",
    "run_worker": "_process",
    "simulated_runner": "_process",
}


if not TYPE_CHECKING:
    __getattr__ = lazy_attributes(__name__, _LAZY)
