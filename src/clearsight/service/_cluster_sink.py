"""Cluster alerts into the service's own store: the ``AlertSink`` that ``clearsight serve
--nats`` hands to ``clearsight.cluster.consume_alerts``.

Each alert is stored through ``alerts.ingest_alert`` in one committed transaction (the
alert, its evidence sealed by the service's cipher, its site and its audit entry), and only
then does ``store_alert`` return, so the consumer acknowledges after the commit. The
idempotency key is the cluster alert id: a redelivered alert finds the stored one and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from clearsight.cluster import ClusterAlert
from clearsight.errors import StoreError
from clearsight.ingest import UPLOAD_FORMATS, decode_image
from clearsight.store import BlobCipher, Camera, Database, alerts
from clearsight.types import Alert, FmrEstimate, OperatingPoint

__all__ = ["ServiceAlertSink"]


def _camera_id(session: Session, alert: ClusterAlert) -> str | None:
    """The service camera the cluster camera is (same id, or same name), if registered."""
    if session.get(Camera, alert.camera_id) is not None:
        return alert.camera_id
    return session.scalar(select(Camera.id).where(Camera.name == alert.camera_id))


def to_service_alert(alert: ClusterAlert) -> Alert:
    """The pipeline's ``Alert`` for a cluster alert; its JPEG evidence decoded (ImageError
    when it is not a readable image)."""
    crop = decode_image(alert.crop_jpeg, f"alert {alert.alert_id} evidence", UPLOAD_FORMATS)
    return Alert(
        alert_id=alert.alert_id,
        subject_id=alert.subject_id,
        subject_name=alert.subject_name,
        track_id=alert.track_id,
        score=alert.score,
        estimate=FmrEstimate(
            fmr=alert.estimated_fmr,
            low=alert.estimated_fmr_low,
            high=alert.estimated_fmr_high,
            group=alert.estimated_fmr_group,
            pooled_fmr=alert.pooled_fmr,
        ),
        capture_time=alert.capture_time,
        source=f"cluster:{alert.site}/{alert.camera_id} (worker {alert.worker_id})",
        best_crop=crop,
        samples_used=alert.samples_used,
        agreeing_samples=alert.agreeing_samples,
        operating_point=OperatingPoint(
            model_id=alert.model_id,
            card_version=alert.card_version,
            target_fmr=alert.target_fmr,
            rule=alert.threshold_rule,
            threshold=alert.threshold,
            groups=(),
        ),
    )


class ServiceAlertSink:
    """Stores cluster alerts as pending alerts of the review queue.

    ``store_alert`` returns True when the alert was inserted, False when its id was already
    stored; a refused alert (subject unknown, withdrawn, expired or listed for another
    site; unreadable evidence) raises NotFoundError, PolicyError or InputError; a database
    failure raises StoreError so that the message is redelivered.
    """

    def __init__(self, db: Database, cipher: BlobCipher, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock

    def store_alert(self, alert: ClusterAlert) -> bool:
        core = to_service_alert(alert)
        try:
            with self._db.session() as session:
                result = alerts.ingest_alert(
                    session,
                    self._cipher,
                    core,
                    self._clock(),
                    (),
                    _camera_id(session, alert),
                    alert.site,
                )
        except DBAPIError as error:
            raise StoreError(
                f"alert {alert.alert_id}: the service database cannot store it ({error.orig})"
            ) from error
        return result.created
