"""Embed evaluation images with the models a pipeline config names, as the pipeline does.

Any configured detector and embedder (dlib's, SCRFD, an ONNX embedder file, the default
models): the face nearest the image centre is found by the configured detector, cut with
the embedder's own ``cut_chips`` and embedded, so scores are those live matching sees. There
is no fallback box: an image in which the detector finds no face has no template (counted).
Results go through the same on-disk cache as dlib's evaluation path, keyed by the detector's
and the embedder's settings.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from clearsight.config import ClearsightConfig
from clearsight.errors import ImageError
from clearsight.evaluation._cache import CachedFace, EmbeddingCache
from clearsight.evaluation._extract import EmbeddedImages, _complain, _progress, _read
from clearsight.ingest import decode_image

__all__ = ["configured_keys", "embed_with_config"]

_VIEW = "pipeline"
# Part of every cached template's key: raise it when an embedder's ``cut_chips`` changes
# (2: SFace's chips aligned by least squares), so that stale templates are never reused.
CHIPS_VERSION = 2
_Outcome = tuple[str, str, CachedFace | None, npt.NDArray[np.float32] | None, str]


def configured_keys(config: ClearsightConfig, model_id: str) -> tuple[str, str]:
    """Cache recipe (detector settings) and model key (embedder settings) for ``config``."""
    detector = hashlib.sha256(config.detector.model_dump_json().encode()).hexdigest()[:16]
    embed = hashlib.sha256(config.embed.model_dump_json().encode()).hexdigest()[:16]
    recipe = f"configured/{config.detector.type}/{detector}/nearest-centre/v1"
    return recipe, f"{model_id}/{embed}/chips-v{CHIPS_VERSION}"


@functools.cache
def _models(config_json: str):  # type: ignore[no-untyped-def]
    from clearsight.detect import create_detector
    from clearsight.embed import create_embedder

    config = ClearsightConfig.model_validate_json(config_json)
    return create_detector(config.detector), create_embedder(config.embed)


def _embed_one(config_json: str, key: str, name: str, data: bytes) -> _Outcome:
    detector, embedder = _models(config_json)
    try:
        image = decode_image(data, name)
    except ImageError as error:
        return key, name, None, None, str(error)
    found = detector.detect(image)
    if not len(found):
        return (
            key,
            name,
            CachedFace("none", np.zeros(4, np.float32), np.zeros((5, 2), np.float32)),
            None,
            "",
        )
    centre_x = (found.boxes[:, 0] + found.boxes[:, 2]) / 2 - image.shape[1] / 2
    centre_y = (found.boxes[:, 1] + found.boxes[:, 3]) / 2 - image.shape[0] / 2
    face = found[int(np.argmin(np.hypot(centre_x, centre_y)))]
    vector = embedder.embed(embedder.cut_chips(image, face))[0]
    cached = CachedFace("detector", face.boxes[0].copy(), face.landmarks[0].copy())
    return key, name, cached, np.asarray(vector, np.float32), ""


def _embed_batch(config_json: str, jobs: list[tuple[str, str, bytes]]) -> list[_Outcome]:
    with threadpool_limits(1):
        return [_embed_one(config_json, *job) for job in jobs]


def embed_with_config(
    paths: Sequence[Path],
    config: ClearsightConfig,
    model_id: str,
    cache_dir: Path,
    workers: int = 2,
    skip_bad: bool = False,
    progress: bool = True,
) -> EmbeddedImages:
    """One unit template per path (NaN where the detector finds no face), through the cache."""
    unique = list(dict.fromkeys(paths))
    blobs, bad = _read(unique)
    if bad and not skip_bad:
        raise _complain(bad, len(unique))
    keys = {
        path: hashlib.sha256(blob).hexdigest()
        for path, blob in zip(unique, blobs, strict=True)
        if blob is not None
    }
    recipe, model = configured_keys(config, model_id)
    config_json = config.model_dump_json()
    with EmbeddingCache(cache_dir) as cache:
        faces = cache.faces(keys.values(), recipe)
        vectors = cache.vectors(keys.values(), recipe, model, _VIEW)
        todo, queued = [], set()
        for path, blob in zip(unique, blobs, strict=True):
            key = keys.get(path)
            if blob is None or key is None or key in queued:
                continue
            face = faces.get(key)
            if face is None or (face.method != "none" and key not in vectors):
                todo.append((key, str(path), blob))
                queued.add(key)
        batches = [todo[i : i + 32] for i in range(0, len(todo), 32)]
        context = multiprocessing.get_context("spawn")
        with (
            _progress(progress) as bar,
            ProcessPoolExecutor(max(1, workers), mp_context=context) as pool,
        ):
            task = bar.add_task("embedding faces", total=len(todo))
            for outcomes in pool.map(_embed_batch, [config_json] * len(batches), batches):
                for key, name, face, vector, error in outcomes:
                    if error:
                        bad[name] = error
                        continue
                    if face is None:
                        continue
                    faces[key] = face
                    views = {} if vector is None else {_VIEW: vector}
                    cache.put(key, recipe, face, model, views)
                    if vector is not None:
                        vectors[key] = vector
                cache.commit()
                bar.advance(task, len(outcomes))
    if bad and not skip_bad:
        raise _complain(bad, len(unique))
    dimensions = len(next(iter(vectors.values()))) if vectors else 128
    matrix = np.full((len(paths), dimensions), np.nan, np.float32)
    methods = []
    for row, path in enumerate(paths):
        key = keys.get(path)
        if str(path) in bad or key is None:
            methods.append("bad")
            continue
        if key not in vectors:
            methods.append("none")
            continue
        methods.append(faces[key].method)
        vector = vectors[key]
        matrix[row] = vector / np.linalg.norm(vector)
    return EmbeddedImages(tuple(paths), matrix, tuple(methods), bad)
