"""How many faces survive redaction? A figure, not a verdict.

HOG is the detector the redaction uses and the acceptance test checks with, so that test cannot
see faces HOG misses (turned, small, dark). This takes every Nth frame of a clip, finds faces
with dlib's CNN detector as the reference, hides faces found by each redaction detector, and
counts how many reference faces the CNN still finds afterwards.

Usage: python tests/privacy/bench_redaction_recall.py [VIDEO] [--every N]
(default: ../shared/datasets/clips/short_hamilton_clip.mp4, every 25th frame). Slow: the CNN
takes about 10 s per 640x360 frame on one busy core.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import av
import numpy as np

from clearsight.config import CnnDetectorConfig, HogDetectorConfig
from clearsight.detect import CnnFaceDetector, FaceDetector, HogFaceDetector
from clearsight.privacy import redact_still
from clearsight.track import iou_matrix

DEFAULT = (
    Path(__file__).resolve().parents[2].parent / "shared/datasets/clips/short_hamilton_clip.mp4"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--every", type=int, default=25)
    args = parser.parse_args()
    reference = CnnFaceDetector(CnnDetectorConfig(upsample=1, min_face_size=8))
    redactors: dict[str, FaceDetector] = {
        "hog upsample 1 (default)": HogFaceDetector(HogDetectorConfig(upsample=1, min_face_size=8)),
        "hog upsample 2": HogFaceDetector(HogDetectorConfig(upsample=2, min_face_size=8)),
        "cnn upsample 1": reference,
    }
    with av.open(str(args.video)) as container:
        frames = [
            f.to_ndarray(format="rgb24")
            for i, f in enumerate(container.decode(video=0))
            if i % args.every == 0
        ]
    total = 0
    survived = dict.fromkeys(redactors, 0)
    seconds = dict.fromkeys(redactors, 0.0)
    for image in frames:
        faces = reference.detect(image)
        total += len(faces)
        for name, detector in redactors.items():
            start = time.perf_counter()
            hidden = redact_still(image, detector).image
            seconds[name] += time.perf_counter() - start
            left = reference.detect(hidden)
            if len(faces) and len(left):
                survived[name] += int(np.sum(iou_matrix(faces.boxes, left.boxes).max(axis=1) > 0.3))
    print(f"{args.video.name}: {len(frames)} frames sampled, {total} faces found by the CNN")
    for name in redactors:
        print(
            f"  redacting with {name}: {survived[name]} of {total} faces still found by the CNN; "
            f"{seconds[name] / len(frames):.2f} s per frame"
        )


if __name__ == "__main__":
    main()
