"""A camera worker process runs the ONNX backends its config names (SCRFD + an ONNX
embedder file built in the test), with the embedder's own card."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from tests.backends.test_backend_selection import FRAME, MODEL_ID, _frames, _write_models
from tests.backends.tiny_onnx import textured_image
from tests.workers.conftest import Recorder

from clearsight.config import ClearsightConfig
from clearsight.enrollment import enroll_face
from clearsight.match import Gallery
from clearsight.pipeline import create_models
from clearsight.workers import CameraSpec, Supervisor, SupervisorOptions, WorkerState


def test_a_camera_worker_runs_the_configured_onnx_backends(
    tmp_path: Path, recorder: Recorder, fast_options: SupervisorOptions
) -> None:
    config = ClearsightConfig.model_validate(
        {**_write_models(tmp_path), "schedule": {"enabled": False}}
    )
    models = create_models(config)
    face = enroll_face(
        textured_image(FRAME, 99), "ref", detector=models.detector, embedder=models.embedder
    )
    gallery = Gallery.build(MODEL_ID, [("subject-ada", "Ada", face.embedding.vector)])
    frames = tmp_path / "frames"
    frames.mkdir()
    for frame in _frames(4):
        Image.fromarray(frame.image).save(frames / f"{frame.index:03d}.png")
    spec = CameraSpec("cam-onnx", "door", str(frames), True, config)
    with Supervisor(lambda: gallery, recorder.on_alert, recorder.on_status, fast_options) as sup:
        sup.apply([spec])
        finished = recorder.wait_state("cam-onnx", WorkerState.FINISHED, timeout=120)
    assert [(camera, a.subject_name) for camera, a in recorder.alerts] == [("cam-onnx", "Ada")]
    assert recorder.alerts[0][1].score > 0.99
    # The worker decided at the operating point create_models built for this config.
    assert recorder.alerts[0][1].operating_point == models.point
    assert finished.frames == 4 and finished.alerts == 1 and finished.restarts == 0
