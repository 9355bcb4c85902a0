"""Which frames of a stream to analyse at a capped frame rate."""

from __future__ import annotations

from typing import Any

from clearsight.config import IngestConfig


class FrameRateSampler:
    """Keeps frames at ``max_fps`` on average, by each frame's time in the stream.

    A frame is kept once its time reaches the next due time, and the due time then moves
    on by one interval from where it was, not from the kept frame: 5 frames/s from a
    12.5 frames/s camera keeps 5 a second (spacing 0.24 or 0.16 s), where "at least 0.2 s
    since the last kept frame" would keep every third frame, 4.2 a second. A stream that
    jumps ahead (a gap, a reconnect) restarts the schedule rather than bursting to catch up.
    """

    def __init__(self, max_fps: float | None) -> None:
        self._interval = 1.0 / max_fps if max_fps else 0.0
        self._due: float | None = None

    def keep(self, offset: float) -> bool:
        """Whether the frame at ``offset`` seconds into the stream is analysed."""
        if self._interval == 0.0:
            return True
        due = self._due
        if due is not None and offset < due - 1e-6:
            return False
        late = due is None or offset - due >= self._interval
        self._due = (offset if due is None or late else due) + self._interval
        return True


def skip_unreferenced_frames(stream: Any, config: IngestConfig) -> bool:
    """Have ``stream``'s decoder skip non-reference frames when at most half are analysed.

    Such frames (an H.264 stream's non-reference B-frames, about half of a B-frame stream)
    are decoded only to be shown; no other frame is predicted from them, so skipping them
    costs nothing of the rest. Returns whether it did.
    """
    rate = stream.average_rate or stream.guessed_rate
    if not (config.skip_unreferenced_frames and config.max_fps and rate):
        return False
    if float(rate) < 2 * config.max_fps:
        return False
    stream.codec_context.skip_frame = "NONREF"
    return True
