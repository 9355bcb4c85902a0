"""Process resource figures for benchmarks: resident memory, CPU time, machine load."""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


def resident_mb() -> float:
    """Current resident memory of this process in MB (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_resident_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> float:
    """One-minute load average of the machine: figures taken under load are slower."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


@contextmanager
def thread_limit(threads: int) -> Iterator[None]:
    """Limit BLAS and FAISS (OpenMP) threads while benchmarking, restoring them after."""
    import faiss
    from threadpoolctl import threadpool_limits

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        faiss.omp_set_num_threads(before)


@dataclass(frozen=True)
class Percentiles:
    """p50, p95 and p99 of a sample, in its own unit."""

    count: int
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, values: npt.ArrayLike) -> Percentiles:
        data = np.asarray(values, np.float64)
        if data.size == 0:
            return cls(0, float("nan"), float("nan"), float("nan"))
        p50, p95, p99 = np.percentile(data, [50, 95, 99])
        return cls(int(data.size), float(p50), float(p95), float(p99))
