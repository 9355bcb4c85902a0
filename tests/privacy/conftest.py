from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from .scenes import two_faces


@pytest.fixture(scope="session")
def two_face_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten frames at 10 fps of two faces drifting towards each other, H.264."""
    import av

    path = tmp_path_factory.mktemp("clips") / "two_faces.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(10, 1))
        stream.width, stream.height, stream.pix_fmt = 400, 240, "yuv420p"
        stream.options = {"crf": "18"}
        for index in range(10):
            frame = av.VideoFrame.from_ndarray(two_faces(shift=index * 2), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.fixture(scope="session")
def hamilton_clip(clips_dir: Path) -> Path:
    return clips_dir / "short_hamilton_clip.mp4"
