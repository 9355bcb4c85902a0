"""An ``AlertSink`` on PostgreSQL: one table in a schema of its own, unique on the alert id.

The service's store may replace it; until then the scale test and ``clearsight cluster
consume`` store here. The evidence crop is kept encrypted (AES-GCM, bound to the alert id).
"""

from __future__ import annotations

import psycopg

from clearsight.cluster._wire import ClusterAlert
from clearsight.crypto import BlobCipher
from clearsight.errors import StoreError

__all__ = ["PostgresAlertSink"]

_DDL = """
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.alerts (
    alert_id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    track_id BIGINT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    estimated_fmr DOUBLE PRECISION NOT NULL,
    samples_used INTEGER NOT NULL,
    agreeing_samples INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    capture_time TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    stored_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    crop_sealed BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_site_time ON {schema}.alerts (site, capture_time);
ALTER TABLE {schema}.alerts ADD COLUMN IF NOT EXISTS threshold DOUBLE PRECISION;
ALTER TABLE {schema}.alerts ADD COLUMN IF NOT EXISTS threshold_rule TEXT;
ALTER TABLE {schema}.alerts ADD COLUMN IF NOT EXISTS target_fmr DOUBLE PRECISION;
ALTER TABLE {schema}.alerts ADD COLUMN IF NOT EXISTS card_version TEXT;
ALTER TABLE {schema}.alerts ADD COLUMN IF NOT EXISTS estimated_fmr_high DOUBLE PRECISION;
ALTER TABLE {schema}.alerts ADD COLUMN IF NOT EXISTS estimated_fmr_group TEXT;
"""

_INSERT = """
INSERT INTO {schema}.alerts (alert_id, site, camera_id, worker_id, subject_id, subject_name,
    track_id, score, estimated_fmr, samples_used, agreeing_samples, model_id, capture_time,
    decided_at, crop_sealed, threshold, threshold_rule, target_fmr, card_version,
    estimated_fmr_high, estimated_fmr_group)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (alert_id) DO NOTHING
"""


class PostgresAlertSink:
    """Stores cluster alerts in ``schema.alerts``; each call is its own committed transaction."""

    def __init__(self, dsn: str, cipher: BlobCipher, schema: str = "clearsight_cluster") -> None:
        if not schema.isidentifier():
            raise StoreError(f"schema name {schema!r} is not a plain identifier")
        self._dsn = dsn
        self._cipher = cipher
        self.schema = schema
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            try:
                self._connection = psycopg.connect(self._dsn, connect_timeout=5)
            except psycopg.Error as error:
                raise StoreError(f"cannot connect to PostgreSQL ({error})") from error
        return self._connection

    def create_schema(self) -> None:
        connection = self._connect()
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
                for statement in _DDL.format(schema=self.schema).split(";"):
                    if statement.strip():
                        connection.execute(statement)
        except psycopg.Error as error:
            raise StoreError(f"cannot create {self.schema}.alerts ({error})") from error

    def store_alert(self, alert: ClusterAlert) -> bool:
        connection = self._connect()
        sealed = self._cipher.encrypt(alert.crop_jpeg, f"cluster-alert/{alert.alert_id}".encode())
        try:
            with connection.transaction():
                cursor = connection.execute(
                    _INSERT.format(schema=self.schema),
                    (
                        alert.alert_id,
                        alert.site,
                        alert.camera_id,
                        alert.worker_id,
                        alert.subject_id,
                        alert.subject_name,
                        alert.track_id,
                        alert.score,
                        alert.estimated_fmr,
                        alert.samples_used,
                        alert.agreeing_samples,
                        alert.model_id,
                        alert.capture_time,
                        alert.decided_at,
                        sealed,
                        alert.threshold,
                        alert.threshold_rule,
                        alert.target_fmr,
                        alert.card_version,
                        alert.estimated_fmr_high,
                        alert.estimated_fmr_group,
                    ),
                )
                return cursor.rowcount == 1
        except psycopg.OperationalError as error:
            connection.close()
            raise StoreError(f"alert {alert.alert_id}: database unavailable ({error})") from error
        except psycopg.Error as error:
            raise StoreError(f"alert {alert.alert_id}: cannot store ({error})") from error

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
