"""Models are plugins chosen by ``type``: a detector registered from a module of its own is
named in a config file, built by the factory and run by a pipeline given no models; the
config union, the landmark check and the factories all read the registries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

from clearsight.config import ClearsightConfig, load_config
from clearsight.detect import DETECTORS, DetectorSettings, FaceDetector, create_detector
from clearsight.embed import EMBEDDERS, create_embedder
from clearsight.errors import ConfigError

PLUGINS = Path(__file__).parent / "plugins"

# Run where the plugin's module is imported before clearsight.config builds its union: as
# a deployment would, importing its plugins first.
_USE_THE_PLUGIN = """
import json, sys
from pathlib import Path
import numpy as np
import fixed_box_detector
from clearsight.config import load_config
from clearsight.detect import create_detector
from clearsight.match import Gallery
from clearsight.pipeline import Pipeline
from clearsight.types import Frame
from datetime import UTC, datetime

config = load_config(Path(sys.argv[1]))
detector = create_detector(config.detector)
found = detector.detect(np.zeros((240, 320, 3), np.uint8))
pipeline = Pipeline(config, Gallery.build("sface-2021dec", []))
frame = Frame(np.zeros((240, 320, 3), np.uint8), datetime(2026, 1, 1, tzinfo=UTC), "cam", 0)
pipeline.process(frame)
print(json.dumps({
    "settings": type(config.detector).__name__,
    "box": config.detector.box,
    "detector": type(detector).__name__,
    "boxes": found.boxes.tolist(),
    "pipeline_faces": pipeline.stats.faces,
}))
"""


def _run(config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PLUGINS)}
    return subprocess.run(
        [sys.executable, "-c", _USE_THE_PLUGIN, str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_detector_registered_from_its_own_module_is_chosen_by_type(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[detector]\ntype = "fixed-box"\nbox = [40, 30, 140, 150]\n[schedule]\nenabled = false\n'
    )
    result = _run(config)
    assert result.returncode == 0, result.stderr
    used = json.loads(result.stdout)
    assert used["settings"] == "FixedBoxDetectorConfig"
    assert used["box"] == [40.0, 30.0, 140.0, 150.0]
    assert used["detector"] == "FixedBoxDetector"
    assert used["boxes"] == [[40.0, 30.0, 140.0, 150.0]]
    assert used["pipeline_faces"] == 1  # the pipeline, given no models, ran the plugin

    # Its settings are checked like any section's, and its landmarks like any detector's.
    config.write_text('[detector]\ntype = "fixed-box"\nbox = [40, 30]\n')
    refused = _run(config)
    assert refused.returncode == 1
    assert "detector.fixed-box.box" in refused.stderr
    config.write_text(
        '[detector]\ntype = "fixed-box"\nbox = [0, 0, 9, 9]\n[embed]\ntype = "dlib"\n'
    )
    mismatched = _run(config)
    assert 'detector.type "fixed-box" gives insightface landmarks' in mismatched.stderr
    assert 'set detector.type = "hog" (or "cnn"), or embed.type = "sface"' in mismatched.stderr


def test_without_its_module_the_type_is_refused_naming_the_registered_ones(
    tmp_path: Path,
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[detector]\ntype = "fixed-box"\nbox = [40, 30, 140, 150]\n')
    with pytest.raises(ConfigError, match=r"detector: Input tag 'fixed-box'.*'yunet', 'hog'"):
        load_config(config)


def test_a_plugin_registered_after_the_config_was_built_is_refused() -> None:
    class LateConfig(DetectorSettings):
        type: Literal["late"] = Field("late", title="Type", description="Too late.")

    with pytest.raises(ValueError, match=r'detector type "late" registered after .*first'):
        DETECTORS.register(LateConfig, lambda settings: create_detector())
    assert "late" not in DETECTORS.types()


def test_the_registries_list_the_shipped_models_and_build_each_default() -> None:
    assert DETECTORS.types() == ["yunet", "hog", "cnn", "scrfd", "retinaface"]
    assert DETECTORS.types("dlib") == ["hog", "cnn"]
    assert EMBEDDERS.types() == ["sface", "dlib", "onnx-file"]
    assert EMBEDDERS.types("insightface") == ["sface", "onnx-file"]
    defaults = ClearsightConfig()
    assert isinstance(create_detector(), FaceDetector)
    assert type(create_detector()) is type(create_detector(defaults.detector))
    assert (
        create_embedder().model_id == create_embedder(defaults.embed).model_id == ("sface-2021dec")
    )


@pytest.mark.parametrize(
    ("embed", "expected"),
    [
        # [embed] as written before SFace became the default keeps its meaning.
        ('runtime = "dlib"', {"type": "dlib", "runtime": "dlib"}),
        ('runtime = "onnx"\nthreads = 2', {"type": "dlib", "runtime": "onnx", "threads": 2}),
        ("mirror = false", {"type": "sface", "mirror": False}),
        # Settings [embed] took for every model when it was one table are still accepted.
        ('type = "sface"\nruntime = "onnx"', {"type": "sface"}),
    ],
)
def test_older_embed_tables_load_as_before(tmp_path: Path, embed: str, expected: dict) -> None:
    config = tmp_path / "c.toml"
    detector = "hog" if expected["type"] == "dlib" else "yunet"
    config.write_text(f'[detector]\ntype = "{detector}"\n[embed]\n{embed}\n')
    loaded = load_config(config).embed.model_dump()
    assert {key: loaded[key] for key in expected} == expected


def test_an_embed_setting_of_another_model_is_refused_naming_the_model(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[detector]\ntype = "hog"\n[embed]\ntype = "sface"\nmodel = {}\n')
    with pytest.raises(
        ConfigError, match=r'embed\.model is set but type is "sface"; set type = "onnx-file"'
    ):
        load_config(config)
    config.write_text('[embed]\ntype = "arcface"\n')
    with pytest.raises(ConfigError, match=r'embedder type "arcface" is none of "sface", "dlib"'):
        load_config(config)
