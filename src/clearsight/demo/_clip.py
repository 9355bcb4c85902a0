from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, eq=False)
class DemoPortrait:
    """A public-domain portrait shipped by an installed package."""

    name: str
    credit: str
    image: npt.NDArray[np.uint8]


def demo_portraits() -> tuple[DemoPortrait, DemoPortrait]:
    """Eileen Collins (NASA, via scikit-image) and Grace Hopper (US Navy, via matplotlib)."""
    import matplotlib.cbook
    from PIL import Image
    from skimage import data

    path = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    with Image.open(path) as photo:
        hopper = np.asarray(photo.convert("RGB"), dtype=np.uint8)
    return (
        DemoPortrait(
            "Eileen Collins",
            "NASA photo, public domain (scikit-image data.astronaut)",
            np.ascontiguousarray(data.astronaut(), dtype=np.uint8),  # type: ignore[no-untyped-call]
        ),
        DemoPortrait(
            "Grace Hopper", "US Navy photo, public domain (matplotlib sample data)", hopper
        ),
    )


def _background(width: int, height: int, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A shop-floor-like scene: a floor gradient, shelves, and sensor noise added per frame."""
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    base = np.empty((height, width, 3), np.float32)
    base[...] = (70 + 60 * y)[..., None] * np.array([1.0, 0.97, 0.9], np.float32)
    for left in range(0, width, width // 6):
        top = int(height * 0.15)
        colour = rng.integers(60, 200, 3)
        cv2.rectangle(
            base, (left + 10, top), (left + width // 8, int(height * 0.6)), colour.tolist(), -1
        )
        for shelf in range(top, int(height * 0.6), 30):
            cv2.line(base, (left + 10, shelf), (left + width // 8, shelf), (40, 40, 40), 3)
    return np.clip(base, 0, 255).astype(np.uint8)


def _paste(
    frame: npt.NDArray[np.uint8],
    portrait: npt.NDArray[np.uint8],
    centre_x: int,
    top: int,
    height: int,
) -> None:
    width = int(portrait.shape[1] * height / portrait.shape[0])
    resized = cv2.resize(portrait, (width, height), interpolation=cv2.INTER_AREA)
    left = centre_x - width // 2
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(frame.shape[1], left + width), min(frame.shape[0], top + height)
    if x1 <= x0 or y1 <= y0:
        return
    frame[y0:y1, x0:x1] = resized[y0 - top : y1 - top, x0 - left : x1 - left]


def build_demo_clip(
    path: Path,
    width: int = 1280,
    height: int = 720,
    fps: int = 10,
    seconds: float = 8.0,
    seed: int = 7,
) -> Path:
    """Write an H.264 clip in which each portrait walks across the scene, growing as it nears.

    The first portrait crosses in the first half of the clip, the second in the second half,
    so each is a separate track.
    """
    import av

    rng = np.random.default_rng(seed)
    background = _background(width, height, rng)
    collins, hopper = demo_portraits()
    # Head-and-shoulders crops, as a person would appear to a ceiling camera.
    walkers = [collins.image[0:330, 90:420], hopper.image[0:420, 40:480]]
    frames = int(seconds * fps)
    half = frames // 2
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps, 1))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        for index in range(frames):
            frame = background.copy()
            walker = walkers[0] if index < half else walkers[1]
            progress = (index % half) / max(half - 1, 1)
            size = int(height * (0.35 + 0.3 * progress))
            centre = int(width * (0.2 + 0.6 * progress))
            _paste(frame, walker, centre, int(height * 0.12), size)
            noise = rng.normal(0, 3, frame.shape).astype(np.int16)
            frame = np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
