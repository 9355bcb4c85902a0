from __future__ import annotations

from typing import Any

from clearsight.backends._config import OnnxModelFile
from clearsight.models import open_onnx_session, verify_model_file


def open_session(model: OnnxModelFile) -> Any:
    """An ONNX Runtime CPU session for ``model`` once its SHA-256 matches; never before."""
    verify_model_file(model.path, model.sha256)
    return open_onnx_session(str(model.path), threads=model.threads)
