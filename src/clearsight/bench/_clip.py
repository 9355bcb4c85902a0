"""``bench clip``: a real clip at camera resolution, for benchmarks at 1080p.

No real 1080p clip of people walking toward a camera can ship with the project, so the
benchmarks upscale one that can: the faces, their motion and their blur stay real, only the
frame (and so the detector's and decoder's work) grows to what a 1080p camera delivers.
The copy is written where the user asks, never into the repository.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from clearsight.errors import InputError, VideoError

# Visually lossless H.264: the benchmark should measure the source's blur, not the encoder's.
_CRF = "18"


@dataclass(frozen=True)
class ClipSummary:
    """What ``upscale_clip`` wrote."""

    path: Path
    width: int
    height: int
    frames: int
    fps: float

    @property
    def seconds(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


def _decoded(source: Path) -> tuple[Iterator[npt.NDArray[np.uint8]], Fraction, Callable[[], None]]:
    """The frames of ``source`` as they decode, its frame rate, and how to close it."""
    import av

    if not source.is_file():
        raise InputError(f"{source}: no such video file")
    try:
        container = av.open(str(source))
        stream = container.streams.video[0]
    except (av.error.FFmpegError, IndexError) as error:
        raise VideoError(f"{source}: not a readable video ({error})") from error
    rate = Fraction(stream.average_rate or stream.guessed_rate or Fraction(25, 1))

    def frames() -> Iterator[npt.NDArray[np.uint8]]:
        try:
            for frame in container.decode(stream):
                yield np.asarray(frame.to_ndarray(format="rgb24"), np.uint8)
        except av.error.FFmpegError as error:
            raise VideoError(f"{source}: decoding failed ({error})") from error

    return frames(), rate, container.close


def upscale_clip(
    source: Path,
    out: Path,
    width: int = 1920,
    height: int = 1080,
    loops: int = 1,
    b_frames: bool = True,
) -> ClipSummary:
    """Write ``source`` at ``width`` x ``height`` (bicubic) as H.264 to ``out``.

    With ``loops`` > 1 the clip plays forward, then backward, and so on: a longer stream
    with no cut (people walk up, then back), for benchmarks that replay a camera for a while.
    Looping holds the source's frames in memory, so it is for short clips. Without
    ``b_frames`` every frame is a reference (I and P frames only), as many IP cameras send:
    a decoder can then skip none of them.
    """
    import av

    if width < 16 or height < 16 or width % 2 or height % 2:
        raise InputError(f"{width}x{height}: width and height must be even and at least 16")
    if loops < 1:
        raise InputError(f"--loops {loops}: at least 1")
    frames, rate, close = _decoded(source)
    written = 0
    try:
        if loops > 1:
            held = list(frames)
            frames = (
                held[i]
                for loop in range(loops)
                for i in (range(len(held)) if loop % 2 == 0 else range(len(held) - 1, -1, -1))
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        with av.open(str(out), mode="w") as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"crf": _CRF, "preset": "veryfast", "bf": "3" if b_frames else "0"}
            for image in frames:
                big = np.asarray(
                    cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC), np.uint8
                )
                for packet in stream.encode(av.VideoFrame.from_ndarray(big, format="rgb24")):
                    container.mux(packet)
                written += 1
            for packet in stream.encode():
                container.mux(packet)
    finally:
        close()
    if written == 0:
        out.unlink(missing_ok=True)
        raise VideoError(f"{source}: the video has no frames")
    return ClipSummary(out, width, height, written, float(rate))
