"""Where the bundled dlib models are, loaded only when first asked for.

The model files come from the installed ``face-recognition-models`` package; nothing is
downloaded. Each loader is cached per process, so a worker loads a model once.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

from clearsight.errors import ModelError

__all__ = [
    "bundled_model_path",
    "load_cnn_detector",
    "load_hog_detector",
    "load_resnet",
    "load_shape_predictor_5",
    "sha256_of",
    "verify_model_file",
]

_FILES = {
    "shape_predictor_5": "shape_predictor_5_face_landmarks.dat",
    "resnet": "dlib_face_recognition_resnet_model_v1.dat",
    "cnn": "mmod_human_face_detector.dat",
}


def bundled_model_path(name: str) -> Path:
    """Path of one of dlib's models shipped by ``face-recognition-models``."""
    try:
        root = resources.files("face_recognition_models") / "models"
    except ModuleNotFoundError as error:
        raise ModelError(
            "the face-recognition-models package (0.3.0) is not installed; reinstall clearsight"
        ) from error
    path = Path(str(root / _FILES[name]))
    if not path.is_file():
        raise ModelError(f"{path}: model file missing from face-recognition-models")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model_file(path: Path, expected_sha256: str) -> Path:
    """Check a user-supplied model file against its expected SHA-256 before it is loaded."""
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    actual = sha256_of(path)
    if actual.lower() != expected_sha256.lower():
        raise ModelError(f"{path}: SHA-256 is {actual}, expected {expected_sha256}")
    return path


@functools.cache
def load_hog_detector() -> Any:
    import dlib

    return dlib.get_frontal_face_detector()


@functools.cache
def load_cnn_detector() -> Any:
    import dlib

    return dlib.cnn_face_detection_model_v1(str(bundled_model_path("cnn")))


@functools.cache
def load_shape_predictor_5() -> Any:
    import dlib

    return dlib.shape_predictor(str(bundled_model_path("shape_predictor_5")))


@functools.cache
def load_resnet() -> Any:
    import dlib

    return dlib.face_recognition_model_v1(str(bundled_model_path("resnet")))
