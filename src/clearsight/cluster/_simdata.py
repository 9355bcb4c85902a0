"""Real face templates for simulated cameras, computed once from public-domain portraits.

Two people: the astronaut Eileen Collins (``skimage.data.astronaut``) and Grace Hopper
(matplotlib's ``grace_hopper.jpg``). Each photo is enrolled with ``enroll_face`` as is and in
jittered variants (mirror, shifts, scale, brightness, rotation, blur), so a simulated track's
samples differ the way repeated captures of one face do, and the other person is a real
impostor. The result is saved as one ``.npz`` file and loaded by every worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clearsight.errors import ClearsightError, InputError

__all__ = ["SimulationData", "compute_simulation_data", "portraits"]

_log = logging.getLogger(__name__)
Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, eq=False)
class SimulationData:
    """Templates (rows) of a few people, with each person's evidence crop."""

    model_id: str
    names: tuple[str, ...]
    embeddings: npt.NDArray[np.float32]
    person: npt.NDArray[np.int64]
    quality: npt.NDArray[np.float32]
    crops: tuple[Image, ...]

    @property
    def people(self) -> int:
        return len(self.names)

    def rows_of(self, person: int) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.person == person)]

    def save(self, path: Path) -> None:
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "embeddings": self.embeddings,
            "person": self.person,
            "quality": self.quality,
            "names": np.array(self.names),
            "model_id": np.array(self.model_id),
        }
        for i, crop in enumerate(self.crops):
            arrays[f"crop_{i}"] = crop
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> SimulationData:
        try:
            with np.load(path, allow_pickle=False) as data:
                names = tuple(str(n) for n in data["names"])
                return cls(
                    model_id=str(data["model_id"]),
                    names=names,
                    embeddings=np.asarray(data["embeddings"], np.float32),
                    person=np.asarray(data["person"], np.int64),
                    quality=np.asarray(data["quality"], np.float32),
                    crops=tuple(np.asarray(data[f"crop_{i}"], np.uint8) for i in range(len(names))),
                )
        except (OSError, KeyError, ValueError) as error:
            raise InputError(f"{path}: not a simulation data file ({error})") from error


def portraits() -> list[tuple[str, Image]]:
    """The public-domain portraits available here (astronaut always; Hopper with matplotlib)."""
    import cv2  # the simulation's images, made when a simulation runs
    from skimage import data

    astronaut = _u8(data.astronaut())  # type: ignore[no-untyped-call]
    found: list[tuple[str, Image]] = [("Eileen Collins", astronaut)]
    try:
        from matplotlib import cbook

        path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise OSError(f"{path}: cannot be read")
        found.append(("Grace Hopper", _u8(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))))
    except (ImportError, OSError, cv2.error) as error:
        _log.warning("Grace Hopper's portrait is unavailable (%s); one person only", error)
    return found


def _u8(array: Any) -> Image:
    return np.ascontiguousarray(np.asarray(array, np.uint8))


def _variants(image: Image) -> Iterator[Image]:
    import cv2

    height, width = image.shape[:2]
    yield image
    yield _u8(image[:, ::-1])
    for dx, dy in ((0.04, 0.0), (-0.04, 0.03), (0.0, -0.04)):
        shift = np.array([[1, 0, dx * width], [0, 1, dy * height]], np.float32)
        yield _u8(cv2.warpAffine(image, shift, (width, height), borderMode=cv2.BORDER_REFLECT))
    for scale in (0.8, 1.2):
        yield _u8(cv2.resize(image, (int(width * scale), int(height * scale))))
    for gain in (0.75, 1.25):
        yield _u8(np.clip(image.astype(np.float32) * gain, 0, 255))
    for angle in (-6.0, 6.0):
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        yield _u8(cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REFLECT))
    yield _u8(cv2.GaussianBlur(image, (5, 5), 1.2))


def compute_simulation_data(
    people: list[tuple[str, Image]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulationData:
    """Enrol every portrait and its variants (about 12 faces each, ~0.1 s per face)."""
    from clearsight.embed import create_embedder
    from clearsight.enrollment import enroll_face

    embedder = create_embedder()
    rows: list[npt.NDArray[np.float32]] = []
    owners: list[int] = []
    crops: list[Image] = []
    names: list[str] = []
    for name, image in people or portraits():
        first = len(rows)
        for number, variant in enumerate(_variants(image)):
            try:
                face = enroll_face(variant, f"{name} variant {number}", embedder=embedder)
            except ClearsightError as error:
                _log.info("skipped: %s", error)
                continue
            if number == 0:
                crops.append(np.ascontiguousarray(face.crop))
            rows.append(face.embedding.vector)
            owners.append(len(names))
        if len(rows) == first or len(crops) == len(names):
            raise InputError(f"{name}: no usable face in the portrait")
        names.append(name)
        if progress:
            progress(f"{name}: {len(rows) - first} templates")
    return SimulationData(
        model_id=embedder.model_id,
        names=tuple(names),
        embeddings=np.stack(rows).astype(np.float32),
        person=np.asarray(owners, np.int64),
        quality=np.ones(len(rows), np.float32),
        crops=tuple(crops),
    )
