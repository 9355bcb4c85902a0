"""The demo camera: the synthetic clip, built into the data directory and replayed forever."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from clearsight.audit import SYSTEM_ACTOR
from clearsight.store import Camera, CameraFields, Database, cameras, utcnow

DEMO_CAMERA_NAME = "Demo camera"
DEMO_CLIP_NAME = "demo-camera.mp4"


def ensure_demo_camera(db: Database, data_dir: Path) -> Camera:
    """Build the demo clip if missing and register it as an enabled camera (once; audited as
    the system). The clip shows Eileen Collins, then Grace Hopper, walking past."""
    from clearsight.demo import build_demo_clip

    clip = data_dir / DEMO_CLIP_NAME
    if not clip.is_file():
        build_demo_clip(clip)
    source = str(clip.resolve())
    with db.session() as session:
        camera = session.scalar(select(Camera).where(Camera.name == DEMO_CAMERA_NAME))
        if camera is None:
            fields = CameraFields(name=DEMO_CAMERA_NAME, source=source, site="demo")
            camera = cameras.create_camera(session, fields, SYSTEM_ACTOR, utcnow())
        elif camera.source != source:
            fields = CameraFields(source=source)
            camera = cameras.update_camera(session, camera.id, fields, SYSTEM_ACTOR, utcnow())
        session.expunge(camera)
    return camera
