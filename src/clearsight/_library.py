"""The library API: a few functions over the pipeline's parts, from one namespace.

    import clearsight
    result = clearsight.compare("obama.jpg", "biden.jpg")
    print(result.same, result.score, result.estimated_fmr)

Each function takes an optional ``ClearsightConfig`` (the embedded defaults without one: YuNet
and SFace, the every-group operating point of the shipped calibration card). The command
line's ``enroll``, ``compare`` and ``watch`` call these functions: there is one recipe.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from clearsight.config import ClearsightConfig
from clearsight.detect import FaceDetector, create_enrollment_detector
from clearsight.enrollment import Face, enroll_face, find_faces
from clearsight.errors import ImageError, InputError
from clearsight.ingest import load_image as _load_image_file
from clearsight.ingest import open_source
from clearsight.match import estimate_fmr
from clearsight.pipeline import (
    ConfiguredModels,
    Pipeline,
    RunSummary,
    create_models,
    stream_alerts,
)
from clearsight.types import Alert, Embedding, FmrEstimate, Frame, OperatingPoint
from clearsight.watchlist import WatchlistFile, WatchlistSubject

__all__ = [
    "Comparison",
    "ImageInput",
    "WatchRun",
    "Watchlist",
    "compare",
    "faces",
    "load_image",
    "watch",
]

Pixels: TypeAlias = npt.NDArray[np.uint8]
ImageInput: TypeAlias = str | os.PathLike[str] | Pixels
"""An image file's path, or RGB uint8 pixels of shape (height, width, 3)."""


def load_image(path: str | os.PathLike[str]) -> Pixels:
    """RGB uint8 pixels (height, width, 3) of an image file.

    A missing, unreadable, corrupt, oversized or non-image file raises ``ImageError``
    naming the file and the problem.
    """
    return _load_image_file(Path(path))


def _pixels(image: ImageInput, name: str) -> tuple[Pixels, str]:
    """The pixels of ``image`` and the name its errors give it (the path, else ``name``)."""
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ImageError(
                f"{name}: expected RGB uint8 pixels of shape (height, width, 3), got "
                f"{image.dtype} of shape {image.shape}"
            )
        return image, name
    if isinstance(image, str | os.PathLike):
        return load_image(image), os.fspath(image)
    raise InputError(
        f"{name}: expected an image file's path or RGB pixels, got {type(image).__name__}"
    )


@dataclass(frozen=True)
class _PhotoModels:
    """The configured models, and the detector for photos (reference photos are searched
    at a larger size than a camera's frames)."""

    models: ConfiguredModels
    photo_detector: FaceDetector | None


_CACHE_SIZE = 4
_loaded: dict[str, _PhotoModels] = {}
_loading = threading.Lock()


def _photo_models(config: ClearsightConfig) -> _PhotoModels:
    """One set of models per config, kept: a model loads once, on its first use."""
    key = config.model_dump_json()
    with _loading:
        found = _loaded.get(key)
        if found is None:
            found = _PhotoModels(create_models(config), create_enrollment_detector(config.detector))
            if len(_loaded) >= _CACHE_SIZE:
                _loaded.pop(next(iter(_loaded)))
            _loaded[key] = found
        return found


def faces(image: ImageInput, config: ClearsightConfig | None = None) -> list[Face]:
    """Every face in ``image`` (a path or pixels), largest first, with its box, five
    landmarks, quality (usable, else why not) and template."""
    config = config or ClearsightConfig()
    pixels, _ = _pixels(image, "image")
    loaded = _photo_models(config)
    found = find_faces(pixels, config.quality, loaded.photo_detector, loaded.models.embedder)
    return sorted(found, key=lambda face: -face.width)


@dataclass(frozen=True)
class Comparison:
    """Two faces compared at the project's operating point."""

    score: float
    """Cosine similarity of the two templates; higher means more alike."""
    same: bool
    """Whether ``score`` reaches the operating point's threshold."""
    estimate: FmrEstimate
    """At ``score``: the false match rate of the group the model confuses most there, its
    95% interval, that group's name, and the rate pooled over everyone."""
    operating_point: OperatingPoint
    """The threshold, rule, target, model and calibration card the decision was made at."""

    @property
    def estimated_fmr(self) -> float:
        """How often two different people of the group the model fails most score this high."""
        return self.estimate.fmr


def _embedding(item: ImageInput | Face, name: str, config: ClearsightConfig) -> Embedding:
    loaded = _photo_models(config)
    embedder = loaded.models.embedder
    if isinstance(item, Face):
        if item.embedding.model_id != embedder.model_id:
            raise InputError(
                f"{name}: the face was embedded by {item.embedding.model_id}, the configured "
                f"embedder is {embedder.model_id}"
            )
        return item.embedding
    pixels, label = _pixels(item, name)
    return enroll_face(
        pixels, label, config.quality, detector=loaded.photo_detector, embedder=embedder
    ).embedding


def compare(
    a: ImageInput | Face, b: ImageInput | Face, config: ClearsightConfig | None = None
) -> Comparison:
    """Whether ``a`` and ``b`` show the same person, with the score's estimated false match rate.

    Each is an image (a path or pixels) that must show exactly one usable face, or a
    ``Face`` from ``faces`` (to choose one of several). ``same`` is decided at the
    calibrated operating point (by default the every-group rule: the threshold at which
    every group the card can judge keeps its false match rate under the target).
    """
    config = config or ClearsightConfig()
    first = _embedding(a, "first image", config)
    second = _embedding(b, "second image", config)
    models = _photo_models(config).models
    score = first.similarity(second)
    return Comparison(
        score=score,
        same=score >= models.point.threshold,
        estimate=estimate_fmr(models.card, models.point, score),
        operating_point=models.point,
    )


def _photo_digest(image: ImageInput, pixels: Pixels) -> str:
    """SHA-256 of the photo's file, or of its pixels (and shape) when given as pixels."""
    if isinstance(image, np.ndarray):
        digest = hashlib.sha256(str(pixels.shape).encode())
        digest.update(np.ascontiguousarray(pixels).tobytes())
        return digest.hexdigest()
    return hashlib.sha256(Path(image).read_bytes()).hexdigest()


class Watchlist:
    """A watchlist file: the people to alert on, each with templates from reference photos.

    The same SQLite file as ``clearsight enroll --watchlist``; it holds templates and each
    photo's SHA-256, never the photos. It is created by the first ``enroll``.
    """

    def __init__(self, path: str | os.PathLike[str], config: ClearsightConfig | None = None):
        self.path = Path(path)
        self.config = config or ClearsightConfig()

    def __repr__(self) -> str:
        return f"Watchlist({os.fspath(self.path)!r})"

    def enroll(self, name: str, images: ImageInput | Iterable[ImageInput]) -> WatchlistSubject:
        """Add ``name`` (or more templates to it) from reference photos, each of exactly one
        usable face; nothing is written unless every photo is usable."""
        if not name.strip():
            raise InputError("a watchlist entry needs a name")
        photos: list[ImageInput] = (
            [images] if isinstance(images, str | os.PathLike | np.ndarray) else list(images)
        )
        if not photos:
            raise InputError(f"{name}: no reference photo given")
        loaded = _photo_models(self.config)
        templates = []
        for number, photo in enumerate(photos, start=1):
            pixels, label = _pixels(photo, f"photo {number} of {name}")
            face = enroll_face(
                pixels,
                label,
                self.config.quality,
                detector=loaded.photo_detector,
                embedder=loaded.models.embedder,
            )
            templates.append((face.embedding, _photo_digest(photo, pixels)))
        with WatchlistFile(self.path) as store:
            return store.add(name, templates)

    def remove(self, name: str) -> bool:
        """Remove ``name`` and its templates; False if there was no such entry."""
        if not self.path.is_file():
            return False
        with WatchlistFile(self.path) as store:
            return store.remove(name)

    def subjects(self) -> list[WatchlistSubject]:
        """Every entry (id, name, number of templates), by name."""
        if not self.path.is_file():
            return []
        with WatchlistFile(self.path) as store:
            return store.subjects()

    def names(self) -> list[str]:
        return [subject.name for subject in self.subjects()]

    def __len__(self) -> int:
        return len(self.subjects())

    def __contains__(self, name: object) -> bool:
        return name in self.names()


SourceInput: TypeAlias = str | os.PathLike[str] | int
"""A video file, image or image folder, a stream URL (rtsp://, http://...), ``device:N``,
``/dev/videoN`` or a camera index."""


def _source_spec(source: SourceInput) -> str:
    if isinstance(source, bool):
        raise InputError(f"{source}: not a video source")
    if isinstance(source, int):
        return f"device:{source}"
    return os.fspath(source)


class WatchRun(Iterator[Alert]):
    """The alerts of one source through the pipeline, as they are raised (at most one per
    track); ``summary`` counts what was analysed. Close it (or leave a ``with`` block) to
    stop a live source early."""

    def __init__(
        self,
        source: SourceInput,
        watchlist: Watchlist | str | os.PathLike[str],
        config: ClearsightConfig | None = None,
        on_frame: Callable[[Frame], None] | None = None,
    ) -> None:
        if isinstance(watchlist, Watchlist):
            # The models its templates were made with, unless told otherwise.
            config, path = config or watchlist.config, watchlist.path
        else:
            config, path = config or ClearsightConfig(), Path(watchlist)
        if not path.is_file():
            raise InputError(
                f"{path}: no such watchlist file (create it with `clearsight enroll` or "
                "clearsight.Watchlist(path).enroll)"
            )
        # A camera's own models: a pipeline's detector is never shared with another's.
        models = create_models(config)
        with WatchlistFile(path) as store:
            gallery = store.matchable_gallery(models.model_id)
        self._pipeline = Pipeline(
            config,
            gallery,
            card=models.card,
            detector=models.detector,
            embedder=models.embedder,
            point=models.point,
        )
        self._alerts = stream_alerts(
            open_source(_source_spec(source), config.ingest), self._pipeline, on_frame
        )

    @property
    def point(self) -> OperatingPoint:
        """The operating point every alert is decided at."""
        return self._pipeline.point

    @property
    def summary(self) -> RunSummary:
        """Frames, faces, tracks and alerts so far, and the operating point."""
        return RunSummary.of(self._pipeline)

    def __iter__(self) -> WatchRun:
        return self

    def __next__(self) -> Alert:
        return next(self._alerts)

    def close(self) -> None:
        """Stop reading the source and close it."""
        self._alerts.close()

    def __enter__(self) -> WatchRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def watch(
    source: SourceInput,
    watchlist: Watchlist | str | os.PathLike[str],
    config: ClearsightConfig | None = None,
    on_frame: Callable[[Frame], None] | None = None,
) -> WatchRun:
    """The alerts for ``watchlist``'s people in ``source``, yielded as they are raised.

    ``source`` is what ``clearsight watch`` accepts (a video file, a stream URL,
    ``device:N``) or a camera index; ``on_frame`` is called after each frame is analysed.
    Without ``config``, a ``Watchlist``'s own config is used (else the defaults).
    A file source ends with the file; a live one runs until the iteration is stopped.
    """
    return WatchRun(source, watchlist, config, on_frame)
