from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clearsight.config import TrackConfig
from clearsight.detect import FaceDetector
from clearsight.errors import InputError, VideoError
from clearsight.privacy._redact import RedactionSettings, hide_all_except, redact_boxes
from clearsight.track import IouTracker, iou_matrix
from clearsight.types import FaceDetections

ProgressCallback = Callable[[int, int | None], None]
"""``progress(frames_done, total_frames_or_None)``."""


@dataclass(frozen=True)
class TrackSummary:
    """Where and when one face track appeared, so a person can pick ``--keep-track``."""

    track_id: int
    first_frame: int
    last_frame: int
    frames_detected: int
    first_box: tuple[int, int, int, int]


@dataclass(frozen=True)
class VideoRedactionOptions:
    """What to keep and how hard to look."""

    keep_track: int | None = None
    """Leave this track's face clear (ids come from a first run's track list)."""
    hide_background: bool = False
    """Hide everything but the kept face, so faces the detector misses are hidden too."""
    verify: bool = True
    """Search each redacted frame again and hide whatever still looks like a face."""
    hold_frames: int = 5
    """Keep hiding a face at its last place for this many frames after it was last found."""
    second_every: int = 10
    """With a second detector, run it on every Nth frame (its faces are held N frames)."""
    settings: RedactionSettings = field(default_factory=RedactionSettings)

    def __post_init__(self) -> None:
        if self.hide_background and self.keep_track is None:
            raise InputError("hiding the background needs a track to keep (--keep-track)")
        if self.hold_frames < 0 or self.second_every < 1:
            raise InputError("hold_frames must be >= 0 and second_every >= 1")


@dataclass(frozen=True)
class KeptFace:
    """Where the kept face was left clear in one frame."""

    frame: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class VideoRedaction:
    """What ``redact_video`` did."""

    output: Path
    frames: int
    faces_hidden: int
    """Face boxes hidden, summed over frames (detections plus boxes held over missed frames)."""
    tracks: tuple[TrackSummary, ...]
    kept_track: int | None
    kept: tuple[KeptFace, ...]
    """Every frame in which the kept track's face was detected and left clear."""


@dataclass
class _TrackLog:
    first_frame: int
    first_box: tuple[int, int, int, int]
    last_frame: int
    last_box: npt.NDArray[np.float32]
    detected: int = 1


def _open(path: Path) -> Any:
    import av

    if not path.is_file():
        raise VideoError(f"{path}: no such video file")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as error:
        raise VideoError(f"{path}: cannot open video ({error})") from error
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path}: has no video stream")
    return container


def _decode(container: Any, path: Path) -> Iterator[npt.NDArray[np.uint8]]:
    import av

    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    index = 0
    try:
        for frame in container.decode(stream):
            index += 1
            yield frame.to_ndarray(format="rgb24")
    except av.error.FFmpegError as error:
        raise VideoError(f"{path}: corrupt video at frame {index} ({error})") from error
    if index == 0:
        raise VideoError(f"{path}: no decodable frames")


class _Hider:
    """Tracks faces and decides, frame by frame, which boxes to hide.

    A face the detector misses for a few frames (motion blur, a turned head) stays hidden at
    its last known place for ``hold_frames`` frames, so one missed detection does not flash a
    face into the released video.
    """

    def __init__(self, keep_track: int | None, hold_frames: int) -> None:
        self._tracker = IouTracker(TrackConfig(iou_threshold=0.2, max_missed_frames=hold_frames))
        self._keep = keep_track
        self._hold = hold_frames
        self.logs: dict[int, _TrackLog] = {}
        self.kept: list[KeptFace] = []
        self.kept_box: npt.NDArray[np.float32] | None = None
        """The kept face's box in the current frame, if it was detected."""

    def boxes_to_hide(self, index: int, detections: FaceDetections) -> npt.NDArray[np.float32]:
        tracked = self._tracker.update(detections)
        hide: list[npt.NDArray[np.float32]] = []
        seen: set[int] = set()
        self.kept_box = None
        for box, track_id in zip(tracked.boxes, tracked.track_ids, strict=True):
            track_id = int(track_id)
            seen.add(track_id)
            log = self.logs.get(track_id)
            if log is None:
                first = (int(box[0]), int(box[1]), int(box[2]), int(box[3]))
                self.logs[track_id] = _TrackLog(index, first, index, box.copy())
            else:
                log.last_frame, log.last_box, log.detected = index, box.copy(), log.detected + 1
            if track_id == self._keep:
                self.kept_box = box.copy()
                x1, y1, x2, y2 = (float(value) for value in box)
                self.kept.append(KeptFace(index, (x1, y1, x2, y2)))
            else:
                hide.append(box)
        for track_id, log in self.logs.items():
            missed = index - log.last_frame
            if track_id not in seen and track_id != self._keep and 0 < missed <= self._hold:
                hide.append(log.last_box)
        return np.asarray(hide, np.float32).reshape(-1, 4)


def _still_visible(
    found: FaceDetections, kept_box: npt.NDArray[np.float32] | None
) -> npt.NDArray[np.float32]:
    """Boxes of faces found in a redacted frame, except the kept face."""
    if kept_box is None or len(found) == 0:
        return np.asarray(found.boxes, np.float32).reshape(-1, 4)
    overlap = iou_matrix(kept_box.reshape(1, 4), found.boxes)[0]
    return np.asarray(found.boxes[overlap < 1 / 3], np.float32).reshape(-1, 4)


class _FrameRedactor:
    """Per-frame work: detect (with the second detector on every Nth frame), track, hide."""

    def __init__(
        self,
        detector: FaceDetector,
        options: VideoRedactionOptions,
        second: FaceDetector | None,
    ) -> None:
        self._detector, self._second, self._options = detector, second, options
        hold = max(options.hold_frames, options.second_every if second else 0)
        self.hider = _Hider(options.keep_track, hold)
        self.hidden = 0

    def _detect(self, index: int, image: npt.NDArray[np.uint8]) -> FaceDetections:
        found = self._detector.detect(image)
        if self._second is None or index % self._options.second_every:
            return found
        extra = self._second.detect(image)
        if len(found) and len(extra):
            extra = extra[iou_matrix(extra.boxes, found.boxes).max(axis=1) < 0.3]
        if not len(extra):
            return found
        return FaceDetections(
            np.concatenate([found.boxes, extra.boxes]), np.concatenate([found.scores, extra.scores])
        )

    def __call__(self, index: int, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        options = self._options
        boxes = self.hider.boxes_to_hide(index, self._detect(index, image))
        if options.hide_background:
            kept = self.hider.kept_box
            keep = np.zeros((0, 4), np.float32) if kept is None else kept[None]
            self.hidden += len(boxes)
            return hide_all_except(image, keep, options.settings)
        clean = redact_boxes(image, boxes, options.settings)
        if options.verify:
            extra = _still_visible(self._detector.detect(clean), self.hider.kept_box)
            clean = redact_boxes(clean, extra, options.settings)
            boxes = np.concatenate([boxes, extra])
        self.hidden += len(boxes)
        return clean


def redact_video(
    source: Path,
    output: Path,
    detector: FaceDetector,
    options: VideoRedactionOptions | None = None,
    *,
    second_detector: FaceDetector | None = None,
    progress: ProgressCallback | None = None,
) -> VideoRedaction:
    """Write ``output`` (H.264) with every face in ``source`` hidden, except the kept track.

    Track ids are assigned in order of appearance by the same detectors and tracker, so a run
    with the same settings gives the same ids: run once, read the track list, then run again
    with ``keep_track``. A ``second_detector`` (the slow CNN, say) runs on every Nth frame to
    catch faces the first one misses. Audio is not copied. Frames with an odd width or height
    lose their last column or row (H.264 4:2:0 needs even sizes). The output is written to a
    temporary file beside it and renamed only when complete.
    """
    import av

    options = options or VideoRedactionOptions()
    if output.resolve() == source.resolve():
        raise VideoError(f"{output}: the output would overwrite the input video")
    container = _open(source)
    temporary = output.with_name(f".{output.stem}.{secrets.token_hex(4)}.part{output.suffix}")
    redactor = _FrameRedactor(detector, options, second_detector)
    frames = 0
    try:
        stream = container.streams.video[0]
        total = int(stream.frames) or None
        rate = stream.average_rate or stream.guessed_rate or Fraction(25, 1)
        try:
            writer = av.open(str(temporary), mode="w")
        except (av.error.FFmpegError, OSError, ValueError) as error:
            raise VideoError(f"{output}: cannot write video ({error})") from error
        try:
            with writer:
                encoder: Any = None
                for image in _decode(container, source):
                    height, width = image.shape[0] & ~1, image.shape[1] & ~1
                    if encoder is None:
                        encoder = writer.add_stream("libx264", rate=Fraction(rate))
                        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
                        encoder.options = {"crf": "20", "preset": "veryfast"}
                    clean = np.ascontiguousarray(redactor(frames, image)[:height, :width])
                    writer.mux(encoder.encode(av.VideoFrame.from_ndarray(clean, format="rgb24")))
                    frames += 1
                    if progress is not None:
                        progress(frames, total)
                if encoder is not None:
                    writer.mux(encoder.encode(None))
        except (av.error.FFmpegError, OSError) as error:
            raise VideoError(f"{output}: cannot write video ({error})") from error
        temporary.replace(output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        container.close()
    hider = redactor.hider
    tracks = tuple(
        TrackSummary(track_id, log.first_frame, log.last_frame, log.detected, log.first_box)
        for track_id, log in sorted(hider.logs.items())
    )
    return VideoRedaction(
        output, frames, redactor.hidden, tracks, options.keep_track, tuple(hider.kept)
    )
