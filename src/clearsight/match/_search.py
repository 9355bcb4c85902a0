"""Gallery search: each probe's nearest templates, exactly or through an approximate index.

Templates and probes are L2-normalised, so cosine similarity is a dot product. Exact search
is one BLAS matrix product per block of templates plus ``argpartition``; it is the reference
and the fastest choice for small galleries. Above a measured size an approximate FAISS index
(HNSW or IVF) answers in well under a millisecond, at a recall that ``clearsight bench search``
measures against exact search.

``AutoSearch`` keeps an immutable snapshot (a gallery with its search attached) and swaps it
atomically when a rebuilt index is ready, so matching never waits for a rebuild.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from clearsight.match._gallery import Gallery
from clearsight.types import frozen_array

# Measured with `clearsight bench search` (docs/performance.md): below this many templates
# exact search is as fast as an index per probe and needs no build; above it HNSW wins.
DEFAULT_CROSSOVER = 50_000
_BLOCK_ROWS = 65_536


@dataclass(frozen=True)
class IndexSpec:
    """A FAISS index to build: ``index_factory`` text, knobs set before adding templates
    (``build_params``) and at search time (``params``), both in ``ParameterSpace`` syntax."""

    factory: str
    params: str = ""
    build_params: str = ""


# Measured with `clearsight bench search` on face-like galleries (docs/performance.md):
# recall@1 of 0.99 or more against exact search up to 1e6 templates.
DEFAULT_INDEX = IndexSpec("HNSW48,Flat", params="efSearch=256", build_params="efConstruction=80")


@dataclass(frozen=True, eq=False)
class SearchHits:
    """The ``k`` best templates of each probe: rows (P, k) int64 and scores (P, k) float32.

    Each row is sorted by descending score. Where fewer than ``k`` templates were found the
    row index is -1 and the score is ``-inf``.
    """

    rows: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]

    def __post_init__(self) -> None:
        if self.rows.shape != self.scores.shape or self.rows.ndim != 2:
            raise ValueError(
                f"SearchHits rows {self.rows.shape} and scores {self.scores.shape} differ"
            )
        object.__setattr__(self, "rows", frozen_array(self.rows, np.int64))
        object.__setattr__(self, "scores", frozen_array(self.scores, np.float32))


def as_probes(probes: npt.ArrayLike, dimensions: int) -> npt.NDArray[np.float32]:
    """Probes as a C-contiguous (P, dimensions) float32 array, or a ValueError saying why not."""
    array = np.ascontiguousarray(np.asarray(probes, np.float32))
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.shape[1] != dimensions:
        raise ValueError(f"probes must be (count, {dimensions}); got shape {array.shape}")
    return array


class GallerySearch(ABC):
    """Finds the templates most similar to each probe. Safe to call from several threads."""

    kind: str
    """What answers the search, e.g. ``exact`` or ``faiss:HNSW32,Flat efSearch=128``."""

    @property
    @abstractmethod
    def size(self) -> int:
        """Number of templates searched."""

    @property
    @abstractmethod
    def dimensions(self) -> int:
        """Length of each template."""

    @abstractmethod
    def search(self, probes: npt.ArrayLike, k: int) -> SearchHits:
        """The ``k`` most similar templates of each probe (a (P, D) or (D,) array)."""


def _check_templates(templates: npt.ArrayLike) -> npt.NDArray[np.float32]:
    array = np.ascontiguousarray(np.asarray(templates, np.float32))
    if array.ndim != 2:
        raise ValueError(f"templates must be (count, dimensions); got shape {array.shape}")
    return array


def _top_k(
    scores: npt.NDArray[np.float32], k: int, offset: int = 0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The unsorted top ``k`` columns of each row of ``scores`` (k <= columns)."""
    if k < scores.shape[1]:
        # Partitioning at n - k keeps the k largest last, without negating every score.
        columns = np.argpartition(scores, scores.shape[1] - k, axis=1)[:, -k:]
    else:
        columns = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    return columns.astype(np.int64) + offset, np.take_along_axis(scores, columns, axis=1)


class ExactSearch(GallerySearch):
    """Brute force: one BLAS matrix product per block of templates, then ``argpartition``."""

    kind = "exact"

    def __init__(self, templates: npt.ArrayLike, block_rows: int = _BLOCK_ROWS) -> None:
        self._templates = _check_templates(templates)
        self._block_rows = max(1, int(block_rows))

    @property
    def size(self) -> int:
        return int(self._templates.shape[0])

    @property
    def dimensions(self) -> int:
        return int(self._templates.shape[1])

    def search(self, probes: npt.ArrayLike, k: int) -> SearchHits:
        queries = as_probes(probes, self.dimensions)
        wanted = max(1, int(k))
        take = min(wanted, self.size)
        rows = np.full((len(queries), wanted), -1, np.int64)
        scores = np.full((len(queries), wanted), -np.inf, np.float32)
        if take == 0 or len(queries) == 0:
            return SearchHits(rows, scores)
        if len(queries) == 1:
            # One probe (a live decision): one matrix-vector product over every template is
            # memory-bound (51 MB at 1e5 x 128), so nothing else should touch the templates.
            top_rows, top_scores = _top_k((self._templates @ queries[0])[np.newaxis], take)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            rows[:, :take] = np.take_along_axis(top_rows, order, axis=1)
            scores[:, :take] = np.take_along_axis(top_scores, order, axis=1)
            return SearchHits(rows, scores)
        best_rows = np.zeros((len(queries), 0), np.int64)
        best_scores = np.zeros((len(queries), 0), np.float32)
        # Blocks bound the (P, block) score matrix, so a million templates never need
        # P x 4 MB of scores at once.
        for start in range(0, self.size, self._block_rows):
            block = self._templates[start : start + self._block_rows]
            block_rows, block_scores = _top_k(queries @ block.T, min(take, len(block)), start)
            merged_rows = np.concatenate([best_rows, block_rows], axis=1)
            merged_scores = np.concatenate([best_scores, block_scores], axis=1)
            keep, best_scores = _top_k(merged_scores, min(take, merged_scores.shape[1]))
            best_rows = np.take_along_axis(merged_rows, keep, axis=1)
        order = np.argsort(-best_scores, axis=1, kind="stable")
        rows[:, :take] = np.take_along_axis(best_rows, order, axis=1)
        scores[:, :take] = np.take_along_axis(best_scores, order, axis=1)
        return SearchHits(rows, scores)


class FaissSearch(GallerySearch):
    """An approximate FAISS index over inner product, described by a factory string.

    ``factory`` is FAISS's ``index_factory`` description (``HNSW32,Flat``, ``IVF1024,Flat``,
    ``IVF1024,PQ32,RFlat``); ``params`` sets search-time knobs through FAISS's
    ``ParameterSpace`` (``efSearch=128``, ``nprobe=32``, ``k_factor_rf=4``), and
    ``build_params`` the same way before templates are added (``efConstruction=80``). IVF
    indexes are trained on at most ``train_rows`` templates drawn with a fixed seed.
    """

    def __init__(
        self,
        templates: npt.ArrayLike,
        factory: str = DEFAULT_INDEX.factory,
        params: str = DEFAULT_INDEX.params,
        build_params: str = "",
        train_rows: int = 200_000,
    ) -> None:
        import faiss

        vectors = _check_templates(templates)
        self._dimensions = int(vectors.shape[1])
        try:
            index = faiss.index_factory(self._dimensions, factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as error:
            raise ValueError(f"FAISS cannot build index {factory!r}: {error}") from error
        self._index: Any = index
        self._factory = factory
        self._params = ""
        self.set_params(build_params)
        if not index.is_trained:
            if len(vectors) == 0:
                raise ValueError(f"index {factory!r} must be trained and the gallery is empty")
            sample = vectors
            if len(vectors) > train_rows:
                chosen = np.random.default_rng(0).choice(len(vectors), train_rows, replace=False)
                sample = vectors[np.sort(chosen)]
            index.train(sample)
        index.add(vectors)
        self.set_params(params)

    def set_params(self, params: str) -> None:
        """Change search-time knobs (``efSearch=256``, ``nprobe=64``); empty leaves them."""
        import faiss

        if params:
            space: Any = faiss.ParameterSpace()
            try:
                space.set_index_parameters(self._index, params)
            except RuntimeError as error:
                raise ValueError(f"index {self._factory!r} rejects {params!r}: {error}") from error
            self._params = params
        self.kind = f"faiss:{self._factory} {self._params}".strip()

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimensions(self) -> int:
        return self._dimensions

    def search(self, probes: npt.ArrayLike, k: int) -> SearchHits:
        queries = as_probes(probes, self.dimensions)
        wanted = max(1, int(k))
        scores, rows = self._index.search(queries, wanted)
        rows = np.asarray(rows, np.int64)
        scores = np.where(rows >= 0, scores, -np.inf).astype(np.float32)
        return SearchHits(rows, scores)


def default_search(templates: npt.ArrayLike, crossover: int = DEFAULT_CROSSOVER) -> GallerySearch:
    """Exact search below ``crossover`` templates, the default FAISS index at or above it."""
    array = _check_templates(templates)
    if len(array) < crossover:
        return ExactSearch(array)
    return FaissSearch(
        array, DEFAULT_INDEX.factory, DEFAULT_INDEX.params, DEFAULT_INDEX.build_params
    )


class AutoSearch:
    """Serves the current watchlist gallery with the right search, rebuilding in the background.

    ``update(gallery)`` takes effect at once: the new gallery is served by exact search
    (so a removed subject stops matching immediately), and when it is large a FAISS index is
    built on a background thread and swapped in atomically once ready. Callers read
    ``current()`` once per decision and use that snapshot throughout, so a swap never mixes
    an old index with a new gallery. ``on_swap`` (e.g. ``Pipeline.set_gallery``) is called
    with each new snapshot, from the thread that made it.
    """

    def __init__(
        self,
        crossover: int = DEFAULT_CROSSOVER,
        index: IndexSpec = DEFAULT_INDEX,
        on_swap: Callable[[Gallery], None] | None = None,
    ) -> None:
        self.crossover = crossover
        self._index = index
        self._on_swap = on_swap
        self._lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self._snapshot: Gallery | None = None
        self._pending: Gallery | None = None
        self._builder: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.last_error: Exception | None = None

    def current(self) -> Gallery:
        """The gallery to match against now, with its search attached."""
        snapshot = self._snapshot
        if snapshot is None:
            raise RuntimeError("AutoSearch has no gallery yet; call update(gallery) first")
        return snapshot

    def update(self, gallery: Gallery) -> None:
        """Start serving ``gallery``; build its index in the background if it is large."""
        exact = gallery.with_search(ExactSearch(gallery.templates))
        with self._lock:
            self._snapshot = exact
            if gallery.template_count < self.crossover:
                self._pending = None
            else:
                self._pending = gallery
                self._idle.clear()
                if self._builder is None:
                    self._builder = threading.Thread(
                        target=self._build_pending, name="clearsight-index-build", daemon=True
                    )
                    self._builder.start()
        self._deliver(exact)

    def _deliver(self, snapshot: Gallery) -> None:
        """Call ``on_swap`` unless a newer snapshot replaced this one (whose maker calls it)."""
        if self._on_swap is None:
            return
        with self._swap_lock:
            if self._snapshot is snapshot:
                self._on_swap(snapshot)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no build is pending; False if ``timeout`` passed first."""
        return self._idle.wait(timeout)

    def _build_pending(self) -> None:
        while True:
            with self._lock:
                gallery = self._pending
                if gallery is None:
                    self._builder = None
                    self._idle.set()
                    return
            try:
                spec = self._index
                search: GallerySearch = FaissSearch(
                    gallery.templates, spec.factory, spec.params, spec.build_params
                )
            except (ValueError, RuntimeError, MemoryError) as error:
                # Exact search keeps serving this gallery; the error is kept for health checks.
                self.last_error = error
                search = ExactSearch(gallery.templates)
            swapped = None
            with self._lock:
                # Swap only if no newer gallery arrived while building.
                if self._pending is gallery:
                    swapped = self._snapshot = gallery.with_search(search)
                    self._pending = None
            if swapped is not None:
                self._deliver(swapped)
