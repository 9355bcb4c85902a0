"""Face detector evaluation on WIDER FACE: recall by face size, false positives, CPU time.

Ground truth is read in WIDER's original text format (``wider_face_val_bbx_gt.txt``): a line
``event/file.jpg``, a line with the face count N, then N lines ``x1 y1 w h blur expression
illumination invalid occlusion pose`` (an image with no faces still has one all-zero line).

Scoring follows the official protocol's "don't care" rule: invalid faces, and faces outside the
size range being scored, are neither to be found nor false positives when found. A face's size
is the longer side of its box, ``max(w, h)``: that is the definition that gives the 4,235
valid faces of 30-150 px the curated subset was chosen by (width alone gives 3,045).
Detections are matched to faces greedily, best score first, at IoU >= 0.5; a second
detection of a face already found counts as a false positive, as in the official evaluation.

A frame mode says how a WIDER image is shown to the detector, because a detector's own
downscaling (YuNet's ``max_width``) acts on the frame, not the face:

- ``native``: the image as it is (1024 px wide).
- ``1080p-canvas``: the image at its own scale, centred in a black 1920-wide frame at least
  1080 high. Faces keep their size in pixels, so the size bands are sizes in a 1080p camera
  frame and the detector scales the frame as it would a 1080p camera's.
- ``1080p-upscaled``: the image resized to 1920 wide (x1.875), as a 1080p camera with the
  same field of view would see the scene. Bands still name the faces' WIDER sizes, so a
  30-50 px face is about 56-94 px in the frame.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import TypeAdapter, ValidationError

from clearsight.config import (
    CnnDetectorConfig,
    DetectorConfig,
    HogDetectorConfig,
    YunetDetectorConfig,
    read_config_file,
)
from clearsight.detect import FaceDetector
from clearsight.errors import ConfigError, InputError
from clearsight.ingest import load_image
from clearsight.types import iou_matrix

__all__ = [
    "DETECTOR_PRESETS",
    "FRAME_MODES",
    "SIZE_BANDS",
    "WIDER_GROUND_TRUTH",
    "BandRecall",
    "DetectionReport",
    "FrameMatch",
    "FrameMode",
    "FrameTiming",
    "WiderFace",
    "WiderImage",
    "detector_config_from_spec",
    "evaluate_detector",
    "load_wider",
    "match_detections",
    "parse_wider_ground_truth",
    "resize_to_1080p",
    "select_evenly",
    "time_detectors",
]

WIDER_GROUND_TRUTH = "wider_face_val_bbx_gt.txt"

SIZE_BANDS: tuple[tuple[int, int], ...] = ((30, 50), (50, 80), (80, 150))
"""Face size bands in px, each ``[low, high)`` except the last, which includes its top."""

FrameMode = Literal["native", "1080p-canvas", "1080p-upscaled"]
FRAME_MODES: tuple[FrameMode, ...] = get_args(FrameMode)

FRAME_1080P = (1920, 1080)

DETECTOR_PRESETS: dict[str, DetectorConfig] = {
    "yunet": YunetDetectorConfig(),
    "hog": HogDetectorConfig(),
    "hog-u1": HogDetectorConfig(upsample=1),
    "cnn": CnnDetectorConfig(),
}
"""Named detector settings for ``detector_config_from_spec``; each is its config's defaults
except where the name says otherwise."""


@functools.cache
def _detector_config_adapter() -> TypeAdapter[DetectorConfig]:
    return TypeAdapter(DetectorConfig)


@dataclass(frozen=True)
class WiderFace:
    """One ground-truth box (x1 y1 x2 y2) with WIDER's attribute codes."""

    box: tuple[float, float, float, float]
    blur: int
    expression: int
    illumination: int
    invalid: bool
    occlusion: int
    pose: int

    @property
    def size(self) -> float:
        """The longer side of the box: the size the size bands are measured in."""
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])

    @property
    def clear(self) -> bool:
        """Unoccluded, not heavily blurred, typical pose: a face an embedder can use."""
        return self.occlusion == 0 and self.blur < 2 and self.pose == 0


@dataclass(frozen=True)
class WiderImage:
    """An image's path relative to the images folder and its ground-truth faces."""

    path: str
    faces: tuple[WiderFace, ...]


def _numbers(line: str, where: str, count: int) -> list[int]:
    fields = line.split()
    if len(fields) < count:
        raise InputError(f"{where}: expected {count} numbers, found {len(fields)}: {line!r}")
    try:
        return [int(float(field)) for field in fields[:count]]
    except ValueError as error:
        raise InputError(f"{where}: not a number in {line!r}") from error


def parse_wider_ground_truth(text: str, source: str = "ground truth") -> list[WiderImage]:
    """The images and faces of a WIDER ``*_bbx_gt.txt`` text; errors name the line."""
    lines = text.splitlines()
    images: list[WiderImage] = []
    index = 0
    while index < len(lines):
        name = lines[index].strip()
        if not name:
            index += 1
            continue
        if not name.lower().endswith((".jpg", ".jpeg", ".png")):
            raise InputError(f"{source}:{index + 1}: expected an image path, found {name!r}")
        if index + 1 >= len(lines):
            raise InputError(f"{source}:{index + 1}: {name} has no face count")
        count_line = lines[index + 1].strip()
        if not count_line.isdigit():
            raise InputError(f"{source}:{index + 2}: expected a face count, found {count_line!r}")
        count = int(count_line)
        # An image without faces still carries one all-zero box line.
        rows = max(count, 1)
        if index + 2 + rows > len(lines):
            raise InputError(f"{source}:{index + 2}: {name} promises {count} faces; file ends")
        faces: list[WiderFace] = []
        for offset in range(count):
            line_number = index + 3 + offset
            x, y, w, h, blur, expression, illumination, invalid, occlusion, pose = _numbers(
                lines[line_number - 1], f"{source}:{line_number}", 10
            )
            if w < 0 or h < 0:
                raise InputError(f"{source}:{line_number}: negative box size {w}x{h}")
            faces.append(
                WiderFace(
                    box=(float(x), float(y), float(x + w), float(y + h)),
                    blur=blur,
                    expression=expression,
                    illumination=illumination,
                    invalid=invalid != 0,
                    occlusion=occlusion,
                    pose=pose,
                )
            )
        images.append(WiderImage(path=name, faces=tuple(faces)))
        index += 2 + rows
    return images


def _ground_truth_file(directory: Path) -> Path:
    for candidate in (
        directory / WIDER_GROUND_TRUTH,
        directory / "wider_face_split" / WIDER_GROUND_TRUTH,
    ):
        if candidate.is_file():
            return candidate
    raise InputError(f"{directory}: no {WIDER_GROUND_TRUTH} here or in wider_face_split/")


def _images_folder(directory: Path) -> Path:
    for candidate in (directory / "images", directory / "WIDER_val" / "images"):
        if candidate.is_dir():
            return candidate
    raise InputError(f"{directory}: no images/ or WIDER_val/images/ folder")


def load_wider(directory: Path) -> tuple[Path, list[WiderImage]]:
    """The images folder and the parsed ground truth of a WIDER FACE folder."""
    if not directory.is_dir():
        raise InputError(f"{directory}: not a folder")
    truth = _ground_truth_file(directory)
    try:
        text = truth.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{truth}: cannot read: {error}") from error
    images = parse_wider_ground_truth(text, str(truth))
    if not images:
        raise InputError(f"{truth}: no images listed")
    return _images_folder(directory), images


def select_evenly(images: Sequence[WiderImage], limit: int | None) -> list[WiderImage]:
    """At most ``limit`` images spread evenly through the list (so through every event)."""
    if limit is None or limit >= len(images):
        return list(images)
    if limit < 1:
        raise InputError(f"--limit must be at least 1, not {limit}")
    picks = np.linspace(0, len(images) - 1, limit).round().astype(int)
    return [images[int(i)] for i in picks]


def _band_of(size: float, bands: Sequence[tuple[int, int]]) -> int:
    """The index of the band ``size`` falls in, or -1 outside them all."""
    for position, (low, high) in enumerate(bands):
        last = position == len(bands) - 1
        if low <= size < high or (last and size == high):
            return position
    return -1


@dataclass(frozen=True)
class FrameMatch:
    """How one image's detections met its scored faces."""

    found: npt.NDArray[np.bool_]
    """Per ground-truth face: matched by a detection (always False for don't-care faces)."""
    false_positives: int
    dont_care: int
    """Detections that matched only a don't-care face: neither hits nor false positives."""


def match_detections(
    boxes: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    truth: npt.NDArray[np.float32],
    scored: npt.NDArray[np.bool_],
    iou_threshold: float = 0.5,
) -> FrameMatch:
    """Greedy matching, best score first: each detection takes the unmatched scored face it
    overlaps most at ``iou_threshold`` or more; failing that, one overlapping any don't-care
    face is ignored; anything else is a false positive."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    truth = np.asarray(truth, np.float32).reshape(-1, 4)
    scored = np.asarray(scored, bool).reshape(-1)
    if len(scored) != len(truth):
        raise ValueError(f"scored has {len(scored)} entries for {len(truth)} faces")
    order = np.argsort(-np.asarray(scores, np.float32).reshape(-1), kind="stable")
    overlaps = iou_matrix(boxes[order], truth)
    found = np.zeros(len(truth), bool)
    false_positives = 0
    dont_care = 0
    for row in overlaps:
        open_overlaps = np.where(scored & ~found, row, -1.0)
        if len(open_overlaps) and open_overlaps.max() >= iou_threshold:
            found[int(open_overlaps.argmax())] = True
        elif bool(np.any(~scored & (row >= iou_threshold))):
            dont_care += 1
        else:
            false_positives += 1
    return FrameMatch(found=found, false_positives=false_positives, dont_care=dont_care)


@dataclass(frozen=True)
class BandRecall:
    """Faces of one size band and how many the detector found."""

    low: int
    high: int
    faces: int
    found: int

    @property
    def recall(self) -> float:
        return self.found / self.faces if self.faces else math.nan

    @property
    def label(self) -> str:
        return f"{self.low}-{self.high}"


@dataclass(frozen=True)
class DetectionReport:
    """One detector setting on a WIDER subset."""

    detector: str
    config: dict[str, object]
    frame: FrameMode
    images: int
    bands: tuple[BandRecall, ...]
    clear_bands: tuple[BandRecall, ...]
    """The same bands counting only clear faces (``WiderFace.clear``): the scored faces
    without occlusion, heavy blur or an atypical pose. Other faces stay scored in ``bands``."""
    false_positives: int
    dont_care_detections: int
    detections: int
    cpu_ms_per_image: float
    """CPU time (``time.process_time``, all threads) per image, model loading excluded."""
    frame_width_mean: float
    load_average: tuple[float, float, float]
    """``os.getloadavg()`` when the run ended."""

    @property
    def false_positives_per_image(self) -> float:
        return self.false_positives / self.images if self.images else math.nan

    def recall_between(self, low: int, high: int) -> BandRecall:
        """The bands covering ``low``-``high`` summed into one (e.g. 50-150)."""
        chosen = [b for b in self.bands if b.low >= low and b.high <= high]
        if not chosen:
            raise ValueError(f"no size band lies within {low}-{high}")
        return BandRecall(
            low=low,
            high=high,
            faces=sum(b.faces for b in chosen),
            found=sum(b.found for b in chosen),
        )

    def to_dict(self) -> dict[str, object]:
        overall = self.recall_between(self.bands[0].low, self.bands[-1].high)
        above_smallest = self.recall_between(self.bands[0].high, self.bands[-1].high)
        return {
            "detector": self.detector,
            "config": self.config,
            "frame": self.frame,
            "images": self.images,
            "recall": {
                band.label: {"faces": band.faces, "found": band.found, "recall": band.recall}
                for band in (*self.bands, above_smallest, overall)
            },
            "recall_clear_faces": {
                band.label: {"faces": band.faces, "found": band.found, "recall": band.recall}
                for band in self.clear_bands
            },
            "false_positives": self.false_positives,
            "false_positives_per_image": self.false_positives_per_image,
            "dont_care_detections": self.dont_care_detections,
            "detections": self.detections,
            "cpu_ms_per_image": self.cpu_ms_per_image,
            "frame_width_mean": self.frame_width_mean,
            "load_average": list(self.load_average),
        }


def resize_to_1080p(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """``image`` stretched to exactly 1920x1080, for timing a detector on a 1080p frame."""
    return np.ascontiguousarray(cv2.resize(image, FRAME_1080P, interpolation=cv2.INTER_LINEAR))


def _present(
    image: npt.NDArray[np.uint8], frame: FrameMode
) -> tuple[npt.NDArray[np.uint8], float, tuple[float, float]]:
    """The frame shown to the detector, with the scale and offset that map WIDER pixels into
    it (frame = wider * scale + offset)."""
    height, width = image.shape[:2]
    if frame == "native":
        return image, 1.0, (0.0, 0.0)
    target_width, target_height = FRAME_1080P
    if frame == "1080p-upscaled":
        scale = target_width / width
        size = (target_width, max(1, round(height * scale)))
        resized = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(resized), scale, (0.0, 0.0)
    canvas_width = max(target_width, width)
    canvas_height = max(target_height, height)
    left = (canvas_width - width) // 2
    top = (canvas_height - height) // 2
    canvas = np.zeros((canvas_height, canvas_width, 3), np.uint8)
    canvas[top : top + height, left : left + width] = image
    return canvas, 1.0, (float(left), float(top))


def evaluate_detector(
    detector: FaceDetector,
    images: Sequence[WiderImage],
    images_folder: Path,
    *,
    name: str,
    config: dict[str, object] | None = None,
    frame: FrameMode = "native",
    bands: Sequence[tuple[int, int]] = SIZE_BANDS,
    iou_threshold: float = 0.5,
    on_image: Callable[[int, int], None] | None = None,
) -> DetectionReport:
    """Run ``detector`` (its ``detect_boxes``) over ``images`` and score it by size band."""
    if not images:
        raise InputError("no images to evaluate")
    if frame not in FRAME_MODES:
        raise InputError(f"frame mode must be one of {', '.join(FRAME_MODES)}, not {frame!r}")
    faces = np.zeros(len(bands), np.int64)
    found = np.zeros(len(bands), np.int64)
    clear_faces = np.zeros(len(bands), np.int64)
    clear_found = np.zeros(len(bands), np.int64)
    false_positives = dont_care = detections = 0
    cpu_s = 0.0
    widths = 0
    for position, entry in enumerate(images):
        image = load_image(images_folder / entry.path)
        shown, scale, (left, top) = _present(image, frame)
        if position == 0:
            detector.detect_boxes(shown)  # loads the model: not part of the timing
        started = time.process_time()
        result = detector.detect_boxes(shown)
        cpu_s += time.process_time() - started
        widths += shown.shape[1]
        boxes = (result.boxes - np.array([left, top, left, top], np.float32)) / scale
        truth = np.array([face.box for face in entry.faces], np.float32).reshape(-1, 4)
        band = np.array([_band_of(face.size, bands) for face in entry.faces], np.int64)
        valid = np.array([not face.invalid for face in entry.faces], bool)
        scored = valid & (band >= 0)
        match = match_detections(boxes, result.scores, truth, scored, iou_threshold)
        clear = scored & np.array([face.clear for face in entry.faces], bool)
        np.add.at(faces, band[scored], 1)
        np.add.at(found, band[match.found], 1)
        np.add.at(clear_faces, band[clear], 1)
        np.add.at(clear_found, band[clear & match.found], 1)
        false_positives += match.false_positives
        dont_care += match.dont_care
        detections += len(result)
        if on_image is not None:
            on_image(position + 1, len(images))
    return DetectionReport(
        detector=name,
        config=dict(config or {}),
        frame=frame,
        images=len(images),
        bands=tuple(
            BandRecall(low=low, high=high, faces=int(faces[i]), found=int(found[i]))
            for i, (low, high) in enumerate(bands)
        ),
        clear_bands=tuple(
            BandRecall(low=low, high=high, faces=int(clear_faces[i]), found=int(clear_found[i]))
            for i, (low, high) in enumerate(bands)
        ),
        false_positives=false_positives,
        dont_care_detections=dont_care,
        detections=detections,
        cpu_ms_per_image=1000 * cpu_s / len(images),
        frame_width_mean=widths / len(images),
        load_average=_load_average(),
    )


@dataclass(frozen=True)
class FrameTiming:
    """CPU time of one detector on one frame, repeated."""

    detector: str
    width: int
    height: int
    repeats: int
    cpu_ms_median: float
    cpu_ms_min: float
    wall_ms_median: float
    faces: int
    load_average_before: tuple[float, float, float]
    load_average_after: tuple[float, float, float]

    def to_dict(self) -> dict[str, object]:
        return {
            "detector": self.detector,
            "frame": f"{self.width}x{self.height}",
            "repeats": self.repeats,
            "cpu_ms_median": self.cpu_ms_median,
            "cpu_ms_min": self.cpu_ms_min,
            "wall_ms_median": self.wall_ms_median,
            "faces": self.faces,
            "load_average_before": list(self.load_average_before),
            "load_average_after": list(self.load_average_after),
        }


def _load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def time_detectors(
    detectors: Sequence[tuple[str, FaceDetector]],
    frame: npt.NDArray[np.uint8],
    *,
    repeats: int = 10,
) -> list[FrameTiming]:
    """CPU ms of each named detector's ``detect_boxes`` on ``frame``: the median of ``repeats``
    runs after one warm-up each. The runs go round robin (every detector once per round), so a
    change in the machine's load touches all alike. CPU time counts every thread, so it is the
    cost on one core whatever a detector's threading; wall time suffers from a busy machine."""
    if repeats < 1:
        raise InputError(f"timing repeats must be at least 1, not {repeats}")
    before = _load_average()
    faces = [len(detector.detect_boxes(frame)) for _, detector in detectors]
    cpu: list[list[float]] = [[] for _ in detectors]
    wall: list[list[float]] = [[] for _ in detectors]
    for _ in range(repeats):
        for position, (_, detector) in enumerate(detectors):
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            detector.detect_boxes(frame)
            cpu[position].append(time.process_time() - cpu_start)
            wall[position].append(time.perf_counter() - wall_start)
    after = _load_average()
    return [
        FrameTiming(
            detector=name,
            width=int(frame.shape[1]),
            height=int(frame.shape[0]),
            repeats=repeats,
            cpu_ms_median=1000 * float(np.median(cpu[position])),
            cpu_ms_min=1000 * min(cpu[position]),
            wall_ms_median=1000 * float(np.median(wall[position])),
            faces=faces[position],
            load_average_before=before,
            load_average_after=after,
        )
        for position, (name, _) in enumerate(detectors)
    ]


def detector_config_from_spec(spec: str) -> DetectorConfig:
    """A detector config from a preset (``yunet``, ``yunet@640``, ``hog-u1,min_face_size=20``)
    or a TOML/JSON file: a clearsight config (only its ``[detector]`` table is read) or a bare
    detector table, with a ``type`` key either way.

    ``@N`` sets ``max_width``; each ``,field=value`` sets one config field.
    """
    text = spec.strip()
    path = Path(text)
    if path.suffix.lower() in (".toml", ".json"):
        if not path.is_file():
            raise ConfigError(f"{path}: no such detector config file")
        raw = read_config_file(path)
        # The detector alone is judged: the rest of a config file does not bear on it.
        table = raw.get("detector", raw)
        if not isinstance(table, dict) or "type" not in table:
            raise ConfigError(f"{path}: expected a [detector] table with a type, or a bare one")
        return _validated(table, str(path))
    head, *assignments = [part.strip() for part in text.split(",")]
    name, _, width = head.partition("@")
    preset = DETECTOR_PRESETS.get(name)
    if preset is None:
        raise ConfigError(
            f"unknown detector {name!r}: use one of {', '.join(DETECTOR_PRESETS)} "
            "(optionally @MAX_WIDTH and ,field=value) or a .toml file"
        )
    fields: dict[str, object] = preset.model_dump()
    if width:
        fields["max_width"] = width
    for assignment in assignments:
        key, equals, value = assignment.partition("=")
        if not equals or not key.strip():
            raise ConfigError(f"{spec!r}: expected field=value, found {assignment!r}")
        if key.strip() not in fields:
            raise ConfigError(
                f"{spec!r}: {name} has no field {key.strip()!r} "
                f"(fields: {', '.join(sorted(fields))})"
            )
        fields[key.strip()] = value.strip()
    return _validated(fields, spec)


def _validated(table: dict[str, object], where: str) -> DetectorConfig:
    try:
        return _detector_config_adapter().validate_python(table)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "detector"
        raise ConfigError(f"{where}: {field}: {first['msg']}") from error
