"""Camera workers: each enabled camera runs the pipeline in its own supervised process.

``Supervisor`` is independent of the store: it takes ``CameraSpec`` values, a callable that
loads the watchlist gallery, and callbacks for alerts and status. ``CameraRuntime`` connects
it to the service's store (cameras table, approved watchlist, alert ingestion).
"""

from typing import TYPE_CHECKING

from clearsight._lazy import lazy_attributes
from clearsight.workers._source import LoopingSource, open_camera_source
from clearsight.workers._supervisor import AlertCallback, StatusCallback, Supervisor
from clearsight.workers._types import CameraSpec, CameraStatus, SupervisorOptions, WorkerState

if TYPE_CHECKING:
    from clearsight.workers._demo import DEMO_CAMERA_NAME, ensure_demo_camera
    from clearsight.workers._runtime import CameraRuntime, camera_config

__all__ = [
    "DEMO_CAMERA_NAME",
    "AlertCallback",
    "CameraRuntime",
    "CameraSpec",
    "CameraStatus",
    "LoopingSource",
    "StatusCallback",
    "Supervisor",
    "SupervisorOptions",
    "WorkerState",
    "camera_config",
    "ensure_demo_camera",
    "open_camera_source",
]


# The store bridge is imported on first use, so worker processes (which import this package
# to run ``_child``) never load SQLAlchemy and the migrations.
if not TYPE_CHECKING:
    __getattr__ = lazy_attributes(
        __name__,
        {
            "CameraRuntime": "_runtime",
            "camera_config": "_runtime",
            "DEMO_CAMERA_NAME": "_demo",
            "ensure_demo_camera": "_demo",
        },
    )
