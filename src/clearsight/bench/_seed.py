"""Real embeddings to grow synthetic galleries from: a folder of people, one subfolder each.

LFW's ``images/`` folder has this layout. Each image's most central face is detected with
HOG (upsampling once when none is found at full size) and embedded with the reference
model, mirror-averaged as in enrolment. Images with no face are skipped and counted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clearsight.errors import ImageError, InputError

_SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass(frozen=True)
class SeedSummary:
    """What a seed run embedded."""

    embeddings: int
    people: int
    images_without_face: int
    out: Path


def _choose(
    root: Path, people: int, singles: int, per_person: int, seed: int
) -> list[tuple[str, list[Path]]]:
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if not folders:
        raise InputError(f"{root}: no person subfolders (expected one folder of images per person)")
    listed = [
        (f.name, sorted(p for p in f.iterdir() if p.suffix.lower() in _SUFFIXES)) for f in folders
    ]
    several = [(name, files[:per_person]) for name, files in listed if len(files) >= 2]
    single = [(name, files) for name, files in listed if len(files) == 1]
    rng = random.Random(seed)
    # Mostly people with several photos (they give the within-person spread), some singles.
    chosen = rng.sample(several, min(len(several), people - singles))
    chosen += rng.sample(single, min(len(single), singles))
    return chosen


def embed_people_folder(
    root: Path, out: Path, people: int = 800, singles: int = 250, per_person: int = 4, seed: int = 6
) -> SeedSummary:
    """Embed up to ``per_person`` images of ``people`` people under ``root`` into ``out`` (.npz),
    ``singles`` of them people with one photo, the rest people with several."""
    from clearsight.config import HogDetectorConfig
    from clearsight.detect import HogFaceDetector
    from clearsight.embed import DlibResNetEmbedder, align_chips
    from clearsight.ingest import load_image

    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    if out.suffix != ".npz":
        raise InputError(f"{out}: the seed file must end in .npz")
    detectors = [
        HogFaceDetector(HogDetectorConfig(upsample=upsample, min_face_size=20))
        for upsample in (0, 1)
    ]
    embedder = DlibResNetEmbedder(mirror=True)
    vectors: list[np.ndarray] = []
    labels: list[str] = []
    missed = 0
    if not 0 <= singles < people:
        raise InputError(f"--singles {singles}: must be at least 0 and under --people {people}")
    for name, files in _choose(root, people, singles, per_person, seed):
        for path in files:
            try:
                image = load_image(path)
            except ImageError:
                missed += 1
                continue
            found = detectors[0].detect(image)
            if len(found) == 0:
                found = detectors[1].detect(image)
            if len(found) == 0:
                missed += 1
                continue
            centre_x = (found.boxes[:, 0] + found.boxes[:, 2]) / 2 - image.shape[1] / 2
            centre_y = (found.boxes[:, 1] + found.boxes[:, 3]) / 2 - image.shape[0] / 2
            face = found[int(np.argmin(np.abs(centre_x) + np.abs(centre_y)))]
            vectors.append(embedder.embed(align_chips(image, face))[0])
            labels.append(name)
    if not vectors:
        raise InputError(f"{root}: no face found in any image")
    np.savez(out, vectors=np.stack(vectors).astype(np.float32), labels=np.array(labels))
    return SeedSummary(len(vectors), len(set(labels)), missed, out)
