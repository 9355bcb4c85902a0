"""Embed a list of images once, in worker processes, through the on-disk cache.

dlib runs on one core per call, so two worker processes use two cores. The parent reads
and hashes each file, asks the cache, sends only what is missing to the workers and writes
their results back as they come (a stopped run keeps what it finished).
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clearsight.embed import DLIB_RESNET_MODEL_ID
from clearsight.errors import ImageError
from clearsight.evaluation._cache import CachedFace, EmbeddingCache
from clearsight.evaluation._faces import FaceRecipe, ImageJob, ImageOutcome, process_image

__all__ = ["DEFAULT_VIEWS", "EmbeddedImages", "ExtractOptions", "embed_images"]

# Eight views of each face, their descriptors averaged: dlib's chip and its mirror image, the
# chip aligned from 68 landmarks and its mirror, and four small seeded jitters. Chosen on LFW's
# development set (View 1, see docs/evaluation.md), not on the View 2 pairs it is scored on.
DEFAULT_VIEWS = ("p25", "p25f", "a68", "a68f", "j0", "j1", "j2", "j3")


@dataclass(frozen=True)
class ExtractOptions:
    """How evaluation images are embedded."""

    cache_dir: Path
    workers: int = 2
    recipe: FaceRecipe = field(default_factory=FaceRecipe)
    views: tuple[str, ...] = DEFAULT_VIEWS
    skip_bad: bool = False
    progress: bool = True
    model_id: str = DLIB_RESNET_MODEL_ID


@dataclass(frozen=True, eq=False)
class EmbeddedImages:
    """One unit-length template per input image (NaN rows where there is none)."""

    paths: tuple[Path, ...]
    vectors: npt.NDArray[np.float32]
    methods: tuple[str, ...]
    """hog, cnn, centre, none (no face, no fallback) or bad (missing or corrupt file)."""
    bad: dict[str, str]
    """Path -> reason, for files that could not be read (only with ``skip_bad``)."""

    @property
    def usable(self) -> npt.NDArray[np.bool_]:
        return np.asarray([m not in ("none", "bad") for m in self.methods], np.bool_)

    def method_counts(self) -> dict[str, int]:
        return dict(Counter(self.methods))


def _read(paths: Sequence[Path]) -> tuple[list[bytes | None], dict[str, str]]:
    blobs: list[bytes | None] = []
    bad: dict[str, str] = {}
    for path in paths:
        try:
            blobs.append(path.read_bytes())
        except FileNotFoundError:
            blobs.append(None)
            bad[str(path)] = "no such file"
        except OSError as error:
            blobs.append(None)
            bad[str(path)] = f"unreadable ({error.strerror or error})"
    return blobs, bad


def _complain(bad: dict[str, str], total: int) -> ImageError:
    shown = "; ".join(f"{path}: {why}" for path, why in list(bad.items())[:10])
    more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
    return ImageError(
        f"{len(bad)} of {total} images are missing or corrupt: {shown}{more}. "
        "Fix them, or pass --skip-bad to count and report them instead."
    )


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )


def _run_jobs(
    jobs: list[ImageJob], options: ExtractOptions, cache: EmbeddingCache
) -> list[ImageOutcome]:
    outcomes: list[ImageOutcome] = []
    if not jobs:
        return outcomes

    def store(outcome: ImageOutcome) -> None:
        outcomes.append(outcome)
        if outcome.face is not None and not outcome.error:
            cache.put(
                outcome.key, options.recipe.key, outcome.face, options.model_id, outcome.views
            )

    with _progress(options.progress) as progress:
        task = progress.add_task("embedding faces", total=len(jobs))
        if options.workers <= 1:
            for number, job in enumerate(jobs):
                store(process_image(job))
                progress.advance(task)
                if number % 50 == 0:
                    cache.commit()
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(options.workers, mp_context=context) as pool:
                queue = iter(jobs)
                running: set[Future[ImageOutcome]] = set()
                for job in queue:
                    running.add(pool.submit(process_image, job))
                    if len(running) >= options.workers * 4:
                        break
                while running:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        store(future.result())
                        progress.advance(task)
                        next_job = next(queue, None)
                        if next_job is not None:
                            running.add(pool.submit(process_image, next_job))
                    if len(outcomes) % 50 < len(done):
                        cache.commit()
        cache.commit()
    return outcomes


def embed_images(paths: Sequence[Path], options: ExtractOptions) -> EmbeddedImages:
    """Templates for ``paths`` (mean of the views, unit length), computing only what the cache
    lacks. Missing or corrupt files raise an ImageError listing them, unless ``skip_bad``."""
    unique = list(dict.fromkeys(paths))
    blobs, bad = _read(unique)
    if bad and not options.skip_bad:
        raise _complain(bad, len(unique))
    keys = {
        path: hashlib.sha256(blob).hexdigest()
        for path, blob in zip(unique, blobs, strict=True)
        if blob is not None
    }
    recipe = options.recipe.key
    with EmbeddingCache(options.cache_dir) as cache:
        faces = cache.faces(keys.values(), recipe)
        vectors = {
            view: cache.vectors(keys.values(), recipe, options.model_id, view)
            for view in options.views
        }
        jobs, queued = [], set()
        for path, blob in zip(unique, blobs, strict=True):
            key = keys.get(path)
            if blob is None or key is None or key in queued:
                continue
            face = faces.get(key)
            missing = tuple(v for v in options.views if key not in vectors[v])
            if face is None or (face.method != "none" and missing):
                jobs.append(ImageJob(key, str(path), blob, options.recipe, face, missing))
                queued.add(key)
        for outcome in _run_jobs(jobs, options, cache):
            if outcome.error:
                bad[outcome.name] = outcome.error
                continue
            if outcome.face is not None:
                faces[outcome.key] = outcome.face
            for view, vector in outcome.views.items():
                vectors[view][outcome.key] = vector
    if bad and not options.skip_bad:
        raise _complain(bad, len(unique))
    return _assemble(paths, keys, faces, vectors, bad)


def _assemble(
    paths: Sequence[Path],
    keys: dict[Path, str],
    faces: dict[str, CachedFace],
    vectors: dict[str, dict[str, npt.NDArray[np.float32]]],
    bad: dict[str, str],
) -> EmbeddedImages:
    matrix = np.full((len(paths), 128), np.nan, np.float32)
    methods = []
    for row, path in enumerate(paths):
        key = keys.get(path)
        if str(path) in bad or key is None:
            methods.append("bad")
            continue
        face = faces[key]
        methods.append(face.method)
        if face.method == "none":
            continue
        total = np.sum([vectors[view][key] for view in vectors], axis=0)
        matrix[row] = total / np.linalg.norm(total)
    return EmbeddedImages(tuple(paths), matrix, tuple(methods), bad)
