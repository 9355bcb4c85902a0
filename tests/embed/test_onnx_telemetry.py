"""ONNX Runtime 1.29+ keeps a device id and an event database under ~/.cache and a session
file in $TMPDIR, and reports usage to Microsoft from native code, unless switched off before
the library loads. clearsight opens every session through ``clearsight.models``, which does
that. The network side is traced end to end in tests/service (strace); this checks the files,
in a fresh process with its own HOME and TMPDIR, against the same code without the switch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_SCRIPT = """
import sys
import numpy as np
from onnx import TensorProto, helper

graph = helper.make_graph(
    [helper.make_node("Identity", ["x"], ["y"])], "g",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
)
model = helper.make_model(graph).SerializeToString()
if sys.argv[1] == "clearsight":
    from clearsight.models import open_onnx_session
    session = open_onnx_session(model, threads=1)
else:
    import onnxruntime
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
assert session.run(None, {"x": np.ones(1, np.float32)})[0][0] == 1.0
"""


def _files_written(tmp_path: Path, how: str) -> list[str]:
    home, tmp = tmp_path / how / "home", tmp_path / how / "tmp"
    home.mkdir(parents=True)
    tmp.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ORT_") and key not in {"CI", "HOME", "TMPDIR"}
    }
    env.update(HOME=str(home), TMPDIR=str(tmp))
    subprocess.run([sys.executable, "-c", _SCRIPT, how], env=env, check=True, timeout=120)
    return sorted(
        str(p.relative_to(tmp_path / how)) for p in (tmp_path / how).rglob("*") if p.is_file()
    )


def test_sessions_leave_no_telemetry_state(tmp_path: Path) -> None:
    plain = _files_written(tmp_path, "plain")
    if not plain:
        pytest.skip("this onnxruntime build writes no telemetry state even when left on")
    assert any("onnxruntime" in name for name in plain), plain  # the control really saw it
    assert _files_written(tmp_path, "clearsight") == []


def test_the_cli_switches_telemetry_off_for_child_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clearsight.cli import main

    monkeypatch.delenv("ORT_DISABLE_TELEMETRY", raising=False)
    with pytest.raises(SystemExit):
        main(["--help"])
    assert os.environ.get("ORT_DISABLE_TELEMETRY") == "1"
