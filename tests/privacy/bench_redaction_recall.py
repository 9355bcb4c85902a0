"""How many faces survive redaction? A figure, not a verdict.

HOG is the detector the redaction uses and the acceptance test checks with, so that test cannot
see faces HOG misses (turned, small, dark). This takes every Nth frame of a clip, finds faces
with dlib's CNN detector as the reference, hides faces found by each redaction detector, and
counts how many reference faces the CNN still finds afterwards.

Usage: python tests/privacy/bench_redaction_recall.py [VIDEO] [--every N] [--video]
(default: ../shared/datasets/clips/short_hamilton_clip.mp4, every 25th frame). Without
``--video`` each sampled frame is redacted as a still; with it the whole clip is redacted as
`clearsight redact` does (tracking, held boxes, verify pass), with HOG alone and with the CNN
added on every 10th frame, and the sampled output frames are checked. Slow: the CNN takes about
10 s per 640x360 frame on one busy core.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import av
import numpy as np

from clearsight.config import CnnDetectorConfig, HogDetectorConfig
from clearsight.detect import CnnFaceDetector, FaceDetector, HogFaceDetector
from clearsight.privacy import VideoRedactionOptions, redact_still, redact_video
from clearsight.track import iou_matrix

DEFAULT = (
    Path(__file__).resolve().parents[2].parent / "shared/datasets/clips/short_hamilton_clip.mp4"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--video", action="store_true")
    args = parser.parse_args()
    if args.video:
        video_mode(args.path, args.every)
        return
    reference = CnnFaceDetector(CnnDetectorConfig(upsample=1, min_face_size=8))
    redactors: dict[str, FaceDetector] = {
        "hog upsample 1 (default)": HogFaceDetector(HogDetectorConfig(upsample=1, min_face_size=8)),
        "hog upsample 2": HogFaceDetector(HogDetectorConfig(upsample=2, min_face_size=8)),
        "cnn upsample 1": reference,
    }
    frames = _sampled(args.path, args.every)
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
    print(f"{args.path.name}: {len(frames)} frames sampled, {total} faces found by the CNN")
    for name in redactors:
        print(
            f"  redacting with {name}: {survived[name]} of {total} faces still found by the CNN; "
            f"{seconds[name] / len(frames):.2f} s per frame"
        )


def _sampled(path: Path, every: int) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [
            f.to_ndarray(format="rgb24")
            for i, f in enumerate(container.decode(video=0))
            if i % every == 0
        ]


def video_mode(video: Path, every: int) -> None:
    import tempfile

    reference = CnnFaceDetector(CnnDetectorConfig(upsample=1, min_face_size=8))
    hog = HogFaceDetector(HogDetectorConfig(upsample=1, min_face_size=8))
    originals = [reference.detect(image) for image in _sampled(video, every)]
    total = sum(len(faces) for faces in originals)
    print(f"{video.name}: {len(originals)} frames sampled, {total} faces found by the CNN")
    runs: dict[str, CnnFaceDetector | None] = {"hog": None, "hog + cnn every 10th frame": reference}
    with tempfile.TemporaryDirectory() as folder:
        for name, second in runs.items():
            out = Path(folder) / "out.mp4"
            start = time.perf_counter()
            result = redact_video(
                video, out, hog, VideoRedactionOptions(second_every=10), second_detector=second
            )
            seconds = (time.perf_counter() - start) / result.frames
            survived = 0
            for faces, image in zip(originals, _sampled(out, every), strict=True):
                left = reference.detect(image)
                if len(faces) and len(left):
                    overlap = iou_matrix(faces.boxes, left.boxes).max(axis=1)
                    survived += int(np.sum(overlap > 0.3))
            print(
                f"  video redaction with {name}: {survived} of {total} faces still found by the "
                f"CNN; {seconds:.2f} s per frame"
            )


if __name__ == "__main__":
    main()
