"""``bench search``: latency, build time, memory and recall@1 of gallery search backends.

For each gallery size one synthetic set is drawn (see ``_synthetic``); exact search gives the
ground truth; each index is built once and then measured at each of its search settings.
Recall@1 is the share of probes whose top template from the index is exact search's top
template (or scores as high, for ties).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from clearsight.bench._resources import Percentiles, resident_mb
from clearsight.bench._synthetic import SyntheticSet
from clearsight.match import ExactSearch, FaissSearch, GallerySearch, SearchHits


@dataclass(frozen=True)
class IndexPreset:
    """A search backend to measure: a FAISS factory (``{nlist}`` filled per size) and the
    search settings swept over one build. An empty factory means exact search."""

    name: str
    factory: str
    sweep: tuple[str, ...]
    build_params: str = ""

    def build(self, templates: np.ndarray) -> GallerySearch:
        if not self.factory:
            return ExactSearch(templates)
        factory = self.factory.format(nlist=ivf_lists(len(templates)))
        return FaissSearch(templates, factory, "", self.build_params)


def ivf_lists(size: int) -> int:
    """IVF cell count: a power of two near 4 sqrt(size), with 39+ training points per cell."""
    near = round(math.log2(4 * math.sqrt(max(size, 1))))
    cap = math.floor(math.log2(max(size / 39, 1)))
    return int(2 ** max(4, min(near, cap)))


PRESETS: dict[str, IndexPreset] = {
    "exact": IndexPreset("exact", "", ("",)),
    "hnsw": IndexPreset(
        "hnsw",
        "HNSW32,Flat",
        ("efSearch=32", "efSearch=64", "efSearch=128", "efSearch=256", "efSearch=512"),
    ),
    "hnsw48": IndexPreset(
        "hnsw48",
        "HNSW48,Flat",
        ("efSearch=64", "efSearch=128", "efSearch=256", "efSearch=512"),
        "efConstruction=80",
    ),
    "ivf": IndexPreset(
        "ivf", "IVF{nlist},Flat", ("nprobe=16", "nprobe=32", "nprobe=64", "nprobe=128")
    ),
    "ivfpq": IndexPreset(
        "ivfpq",
        "IVF{nlist},PQ32x4fs,RFlat",
        ("nprobe=16,k_factor_rf=8", "nprobe=32,k_factor_rf=8", "nprobe=64,k_factor_rf=16"),
    ),
}


@dataclass(frozen=True)
class SearchFigures:
    """One backend at one setting on one gallery size. Times in milliseconds."""

    size: int
    index: str
    build_s: float
    index_mb: float
    per_probe: Percentiles
    per_probe_cpu: Percentiles
    batch_size: int
    per_batch: Percentiles
    recall_at_1: float
    recall_at_1_enrolled: float
    """Recall@1 over probes of enrolled people only: the searches whose answer can alert."""

    @property
    def amortised_probe_ms(self) -> float:
        return self.per_batch.p50 / self.batch_size


def _batches(count: int, size: int) -> Iterator[slice]:
    for start in range(0, count, size):
        yield slice(start, min(count, start + size))


def _time_probes(
    search: GallerySearch, data: SyntheticSet, k: int, budget_s: float
) -> tuple[list[float], list[float]]:
    """Single-probe wall and thread-CPU times in ms; stops after ``budget_s`` once 100 probes
    are timed. CPU time leaves out waits for a core, which a busy machine adds to wall time."""
    wall: list[float] = []
    cpu: list[float] = []
    began = time.perf_counter()
    for index in range(len(data.probes)):
        start, start_cpu = time.perf_counter(), time.thread_time()
        search.search(data.probes[index : index + 1], k)
        wall.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.thread_time() - start_cpu) * 1e3)
        if len(wall) >= 100 and time.perf_counter() - began > budget_s:
            break
    return wall, cpu


def _measure(
    search: GallerySearch, data: SyntheticSet, truth: SearchHits, plan: SearchPlan
) -> tuple[Percentiles, Percentiles, Percentiles, float, float]:
    per_probe, per_probe_cpu = _time_probes(search, data, plan.k, plan.budget_s)
    batch_times: list[float] = []
    top_scores = np.empty(len(data.probes), np.float32)
    top_rows = np.empty(len(data.probes), np.int64)
    for part in _batches(len(data.probes), plan.batch):
        start = time.perf_counter()
        hits = search.search(data.probes[part], plan.k)
        batch_times.append((time.perf_counter() - start) * 1e3)
        top_rows[part], top_scores[part] = hits.rows[:, 0], hits.scores[:, 0]
    exact_rows, exact_scores = truth.rows[:, 0], truth.scores[:, 0]
    found = (top_rows == exact_rows) | (top_scores >= exact_scores - 1e-6)
    enrolled = data.probe_subject >= 0
    mated = float(found[enrolled].mean()) if bool(enrolled.any()) else float("nan")
    return (
        Percentiles.of(per_probe), Percentiles.of(per_probe_cpu), Percentiles.of(batch_times),
        float(found.mean()), mated,
    )  # fmt: skip


@dataclass(frozen=True)
class SearchPlan:
    """What ``run_search_bench`` measures."""

    presets: tuple[IndexPreset, ...]
    k: int = 10
    batch: int = 64
    budget_s: float = 20.0


def run_search_bench(
    data: SyntheticSet, plan: SearchPlan, report: Callable[[SearchFigures], None]
) -> list[SearchFigures]:
    """Measure every preset and setting on ``data``, calling ``report`` as each figure lands."""
    truth = ExactSearch(data.gallery).search(data.probes, 1)
    figures: list[SearchFigures] = []
    for preset in plan.presets:
        gc.collect()
        before = resident_mb()
        start = time.perf_counter()
        search = preset.build(data.gallery)
        build_s = time.perf_counter() - start
        index_mb = max(0.0, resident_mb() - before)
        for setting in preset.sweep:
            if isinstance(search, FaissSearch):
                search.set_params(setting)
            per_probe, per_probe_cpu, per_batch, recall, mated = _measure(search, data, truth, plan)
            figure = SearchFigures(
                len(data.gallery), search.kind, build_s, index_mb, per_probe, per_probe_cpu,
                plan.batch, per_batch, recall, mated,
            )  # fmt: skip
            figures.append(figure)
            report(figure)
        del search
    return figures
