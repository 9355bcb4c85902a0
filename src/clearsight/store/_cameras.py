"""Cameras: the inventory the workers run, and the status they report."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearsight.audit import AuditAction, AuditEvent
from clearsight.errors import InputError, NotFoundError, PolicyError
from clearsight.store import _audit_log
from clearsight.store._tables import Camera


@dataclass(frozen=True)
class CameraFields:
    """What an admin sets on a camera; None leaves a field unchanged on update."""

    name: str | None = None
    source: str | None = None
    enabled: bool | None = None
    site: str | None = None
    vendor: str | None = None
    model: str | None = None
    firmware: str | None = None


def _apply(camera: Camera, values: CameraFields) -> dict[str, str]:
    changed: dict[str, str] = {}
    for field in fields(values):
        value = getattr(values, field.name)
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
            if field.name in ("name", "source") and not value:
                raise InputError(f"camera: {field.name} must not be empty")
        setattr(camera, field.name, value)
        changed[field.name] = str(value)
    return changed


def create_camera(session: Session, values: CameraFields, actor: str, now: datetime) -> Camera:
    if not values.name or not values.source:
        raise InputError("camera: name and source are required")
    _audit_log.lock_chain(session)
    if session.scalar(select(Camera).where(Camera.name == values.name.strip())) is not None:
        raise PolicyError(f"camera {values.name!r} already exists")
    camera = Camera(created_at=now, updated_at=now, enabled=True, site="")
    changed = _apply(camera, values)
    session.add(camera)
    session.flush()
    _audit_log.append(
        session,
        AuditEvent(actor, AuditAction.CAMERA_CREATED, "camera", camera.id, details=changed),
        at=now,
    )
    return camera


def update_camera(
    session: Session, camera_id: str, values: CameraFields, actor: str, now: datetime
) -> Camera:
    _audit_log.lock_chain(session)
    camera = get_camera(session, camera_id)
    if (
        values.name
        and values.name.strip() != camera.name
        and session.scalar(select(Camera).where(Camera.name == values.name.strip())) is not None
    ):
        raise PolicyError(f"camera {values.name!r} already exists")
    changed = _apply(camera, values)
    camera.updated_at = now
    _audit_log.append(
        session,
        AuditEvent(actor, AuditAction.CAMERA_UPDATED, "camera", camera.id, details=changed),
        at=now,
    )
    return camera


def get_camera(session: Session, camera_id: str) -> Camera:
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise NotFoundError(f"camera {camera_id} does not exist")
    return camera


def list_cameras(session: Session) -> list[Camera]:
    return list(session.scalars(select(Camera).order_by(Camera.name)))


def report_status(
    session: Session,
    camera_id: str,
    status: str,
    now: datetime,
    analysed_fps: float | None = None,
    last_frame_at: datetime | None = None,
    last_error: str | None = None,
    next_retry_at: datetime | None = None,
) -> None:
    """A worker's heartbeat (not audited: it is operational state, not an access)."""
    camera = get_camera(session, camera_id)
    camera.status = status[:32]
    camera.analysed_fps = analysed_fps
    if last_frame_at is not None:
        camera.last_frame_at = last_frame_at
    camera.last_error = last_error
    camera.next_retry_at = next_retry_at
    camera.updated_at = now
