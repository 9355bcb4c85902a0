from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clearsight.detect._base import FaceDetector
from clearsight.detect._resize import shrink_image
from clearsight.types import FaceDetections, concat_detections, iou_matrix

# dlib's HOG window is 80 px: a face is found reliably from about that width up. A region
# around a known face is scaled so the face is about this wide: a little above the window,
# so a face that shrank a few percent since the last frame is still found, while the HOG
# pyramid (whose cost grows with the region's area) stays short.
_COMFORTABLE_FACE_PX = 90.0


def expand_boxes(
    boxes: npt.NDArray[np.float32], margin: float, width: int, height: int
) -> npt.NDArray[np.float32]:
    """Boxes grown by ``margin`` times their size on every side, clipped to the frame."""
    if len(boxes) == 0:
        return np.zeros((0, 4), np.float32)
    size = boxes[:, 2:] - boxes[:, :2]
    grown = np.concatenate([boxes[:, :2] - margin * size, boxes[:, 2:] + margin * size], axis=1)
    grown[:, [0, 2]] = np.clip(grown[:, [0, 2]], 0, width - 1)
    grown[:, [1, 3]] = np.clip(grown[:, [1, 3]], 0, height - 1)
    return grown.astype(np.float32)


def non_max_suppression(detections: FaceDetections, iou_threshold: float = 0.4) -> FaceDetections:
    """Drop boxes that overlap a higher-scored box (the same face found in two regions)."""
    if len(detections) < 2:
        return detections
    order = np.argsort(-detections.scores)
    overlap = iou_matrix(detections.boxes[order], detections.boxes[order])
    keep: list[int] = []
    for rank in range(len(order)):
        if all(overlap[rank, kept] < iou_threshold for kept in keep):
            keep.append(rank)
    return detections[np.sort(order[keep])]


def _cut_by_crop(
    boxes: npt.NDArray[np.float32], crop_shape: tuple[int, ...], inner: tuple[bool, ...]
) -> npt.NDArray[np.bool_]:
    """Per box (crop pixels): does it reach an edge of the crop beyond which the frame goes
    on? ``inner`` says that for the left, top, right and bottom edges."""
    height, width = crop_shape[:2]
    slack = 2.0  # boxes are clipped to the last pixel; allow a pixel of rounding either way
    reaches = (
        boxes[:, 0] <= slack,
        boxes[:, 1] <= slack,
        boxes[:, 2] >= width - 1 - slack,
        boxes[:, 3] >= height - 1 - slack,
    )
    cut = np.zeros(len(boxes), bool)
    for touches, edge_is_inner in zip(reaches, inner, strict=True):
        if edge_is_inner:
            cut |= touches
    return cut


def detect_in_regions(
    detector: FaceDetector,
    image: npt.NDArray[np.uint8],
    regions: npt.NDArray[np.float32],
    face_widths: npt.NDArray[np.float32],
    *,
    landmarks: bool = True,
    drop_cut_faces: bool = False,
) -> FaceDetections:
    """Faces found inside ``regions`` only, in full-frame coordinates.

    Where a region's expected face width is known (a tracked face), the crop is scaled so
    that face is about 90 px wide; where it is NaN (a motion region) the crop is searched
    at the detector's own scale. With ``landmarks=False`` they are left as the detector
    gives them cheaply (see ``FaceDetector.detect_boxes``).

    HOG also reports a face the crop cuts through, with a box cut short at the crop's edge.
    With ``drop_cut_faces`` such a box (touching an edge of the crop that is not an edge of
    the frame) is dropped, so a caller can look again in a larger region rather than follow
    half a face.
    """
    found: list[FaceDetections] = []
    for (x1, y1, x2, y2), face_width in zip(regions, face_widths, strict=True):
        left, top, right, bottom = int(x1), int(y1), int(x2) + 1, int(y2) + 1
        crop = image[top:bottom, left:right]
        if crop.shape[0] < 16 or crop.shape[1] < 16:
            continue
        scale = 1.0
        if np.isfinite(face_width) and face_width > _COMFORTABLE_FACE_PX:
            scale = _COMFORTABLE_FACE_PX / float(face_width)
            size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
            crop = shrink_image(crop, *size)
        crop = np.ascontiguousarray(crop)
        local = detector.detect(crop) if landmarks else detector.detect_boxes(crop)
        if drop_cut_faces:
            inner = (left > 0, top > 0, right < image.shape[1], bottom < image.shape[0])
            local = local[~_cut_by_crop(local.boxes, crop.shape, inner)]
        if len(local) == 0:
            continue
        offset = np.array([left, top], np.float32)
        found.append(
            FaceDetections(
                boxes=local.boxes / scale + np.tile(offset, 2),
                scores=local.scores,
                landmarks=local.landmarks / scale + offset,
            )
        )
    if not found:
        return FaceDetections.empty()
    return non_max_suppression(concat_detections(found))
