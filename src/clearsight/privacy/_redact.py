from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from clearsight.detect import FaceDetector
from clearsight.track import iou_matrix
from clearsight.types import FaceDetections

BoxArray = npt.NDArray[np.float32]


class RedactionStyle(StrEnum):
    PIXELATE = "pixelate"
    """Average over coarse blocks (about six across a face), then soften the block edges."""
    BLUR = "blur"
    """A Gaussian blur with a sigma of a third of the face width, applied twice."""


@dataclass(frozen=True)
class RedactionSettings:
    """How much around each detected face is hidden, and how."""

    style: RedactionStyle = RedactionStyle.PIXELATE
    margin_x: float = 0.35
    """Extra width on each side, as a fraction of the face box (ears, hair)."""
    margin_top: float = 0.6
    """Extra height above (forehead and hair: detector boxes start at the eyebrows)."""
    margin_bottom: float = 0.45
    """Extra height below (chin)."""
    blocks_across: int = 6
    feather: float = 0.15
    """Width of a soft edge outside the hidden box, as a fraction of the face width: a hard
    edge across a chin or collar can itself look like a face to a detector."""

    def __post_init__(self) -> None:
        if min(self.margin_x, self.margin_top, self.margin_bottom) < 0:
            raise ValueError("redaction margins must be non-negative")
        if not 0 <= self.feather <= 1:
            raise ValueError("feather must be between 0 and 1")
        if not 2 <= self.blocks_across <= 32:
            raise ValueError("blocks_across must be between 2 and 32")


def enlarged_boxes(
    boxes: BoxArray, width: int, height: int, settings: RedactionSettings
) -> npt.NDArray[np.int64]:
    """Face boxes grown by the settings' margins, clipped to the image, as integer pixels."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    grown = np.stack(
        [
            boxes[:, 0] - widths * settings.margin_x,
            boxes[:, 1] - heights * settings.margin_top,
            boxes[:, 2] + widths * settings.margin_x,
            boxes[:, 3] + heights * settings.margin_bottom,
        ],
        axis=1,
    )
    grown[:, [0, 2]] = np.clip(np.round(grown[:, [0, 2]]), 0, width)
    grown[:, [1, 3]] = np.clip(np.round(grown[:, [1, 3]]), 0, height)
    return grown.astype(np.int64)


def _hide(region: npt.NDArray[np.uint8], settings: RedactionSettings) -> npt.NDArray[np.uint8]:
    height, width = region.shape[:2]
    if settings.style is RedactionStyle.PIXELATE:
        across = max(1, min(settings.blocks_across, width))
        down = max(1, min(height, round(settings.blocks_across * height / max(width, 1))))
        small = cv2.resize(region, (across, down), interpolation=cv2.INTER_AREA)
        hidden = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
        sigma = max(1.0, width / (settings.blocks_across * 3))
        return np.asarray(cv2.GaussianBlur(hidden, (0, 0), sigma), np.uint8)
    sigma = max(2.0, width / 3)
    once = cv2.GaussianBlur(region, (0, 0), sigma)
    return np.asarray(cv2.GaussianBlur(once, (0, 0), sigma), np.uint8)


def redact_boxes(
    image: npt.NDArray[np.uint8], boxes: BoxArray, settings: RedactionSettings | None = None
) -> npt.NDArray[np.uint8]:
    """A copy of ``image`` (RGB uint8) with every face box, enlarged, made unrecognisable."""
    settings = settings or RedactionSettings()
    output = image.copy()
    height, width = image.shape[:2]
    for x1, y1, x2, y2 in enlarged_boxes(boxes, width, height, settings):
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        edge = int((x2 - x1) * settings.feather + 0.5)
        # Hide a region grown by the soft edge, then blend it in: fully hidden inside the
        # enlarged box, fading to the original over ``edge`` pixels outside it.
        gx1, gy1 = max(0, x1 - edge), max(0, y1 - edge)
        gx2, gy2 = min(width, x2 + edge), min(height, y2 + edge)
        hidden = _hide(output[gy1:gy2, gx1:gx2], settings).astype(np.float32)
        if edge == 0:
            output[gy1:gy2, gx1:gx2] = hidden.astype(np.uint8)
            continue
        ys = np.arange(gy1, gy2, dtype=np.float32)[:, None]
        xs = np.arange(gx1, gx2, dtype=np.float32)[None, :]
        outside = np.maximum(np.maximum(x1 - xs, xs - (x2 - 1)), np.maximum(y1 - ys, ys - (y2 - 1)))
        alpha = np.clip(1.0 - outside / (edge + 1), 0.0, 1.0)[..., None]
        original = output[gy1:gy2, gx1:gx2].astype(np.float32)
        blended = alpha * hidden + (1.0 - alpha) * original
        output[gy1:gy2, gx1:gx2] = np.clip(np.round(blended), 0, 255).astype(np.uint8)
    return output


def hide_all_except(
    image: npt.NDArray[np.uint8], keep_boxes: BoxArray, settings: RedactionSettings | None = None
) -> npt.NDArray[np.uint8]:
    """A copy of ``image`` with everything hidden except the enlarged ``keep_boxes``.

    For footage released to one person: nobody else can be recognised, whether or not a
    detector found their face."""
    settings = settings or RedactionSettings()
    height, width = image.shape[:2]
    across = max(2, width // 40)
    down = max(2, height // 40)
    small = cv2.resize(image, (across, down), interpolation=cv2.INTER_AREA)
    hidden = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    output = np.asarray(cv2.GaussianBlur(hidden, (0, 0), 4.0), np.uint8)
    for x1, y1, x2, y2 in enlarged_boxes(keep_boxes, width, height, settings):
        output[y1:y2, x1:x2] = image[y1:y2, x1:x2]
    return output


@dataclass(frozen=True, eq=False)
class RedactedStill:
    """A still with bystanders hidden: the image, the faces hidden and the face kept (if any)."""

    image: npt.NDArray[np.uint8]
    hidden: FaceDetections
    kept: FaceDetections


def redact_still(
    image: npt.NDArray[np.uint8],
    detector: FaceDetector,
    keep_box: tuple[float, float, float, float] | None = None,
    settings: RedactionSettings | None = None,
) -> RedactedStill:
    """Hide every face in ``image`` except the one that overlaps ``keep_box`` best.

    For exporting alert evidence: ``keep_box`` is the matched subject's face. The subject's
    box itself is kept clear even if the detector misses it here; any detected face that
    overlaps it by less than a third of their union is hidden.
    """
    found = detector.detect(image)
    keep = np.zeros(len(found), bool)
    if keep_box is not None and len(found):
        overlap = iou_matrix(np.asarray([keep_box], np.float32), found.boxes)[0]
        best = int(np.argmax(overlap))
        keep[best] = overlap[best] >= 1 / 3
    hidden, kept = found[~keep], found[keep]
    return RedactedStill(redact_boxes(image, hidden.boxes, settings), hidden, kept)


RedactionDetector = FaceDetector
"""What finds faces to hide: any clearsight face detector."""


def redaction_detector() -> FaceDetector:
    """The detector that finds faces to hide in exported evidence (dlib HOG, loaded lazily).

    The web service asks for it here, so it never imports a detector itself.
    """
    from clearsight.config import HogDetectorConfig
    from clearsight.detect import create_detector

    return create_detector(HogDetectorConfig())
