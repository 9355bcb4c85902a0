from __future__ import annotations

from typing import Any

from clearsight.backends._config import OnnxModelFile
from clearsight.errors import ModelError
from clearsight.models import verify_model_file


def open_session(model: OnnxModelFile) -> Any:
    """An ONNX Runtime CPU session for ``model`` once its SHA-256 matches; never before."""
    import onnxruntime as ort

    verify_model_file(model.path, model.sha256)
    options = ort.SessionOptions()
    options.intra_op_num_threads = model.threads
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(
            str(model.path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # onnxruntime raises several untyped error classes
        raise ModelError(f"{model.path}: ONNX Runtime cannot load the model: {error}") from error
