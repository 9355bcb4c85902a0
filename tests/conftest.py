"""Shared fixtures: where the real datasets are (tests skip without them) and the demo clip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _datasets_dir() -> Path:
    configured = os.environ.get("CLEARSIGHT_DATASETS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    return _datasets_dir()


@pytest.fixture(scope="session")
def clips_dir(datasets_dir: Path) -> Path:
    path = datasets_dir / "clips"
    if not (path / "short_hamilton_clip.mp4").is_file():
        pytest.skip(
            f"real clips not found at {path} (set CLEARSIGHT_DATASETS to ../shared/datasets)"
        )
    return path


@pytest.fixture(scope="session")
def demo_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from clearsight.demo import build_demo_clip

    return build_demo_clip(tmp_path_factory.mktemp("demo") / "demo.mp4")
