from __future__ import annotations

import heapq
import itertools

from clearsight.types import FaceSample


class BestSamples:
    """Keeps the ``capacity`` highest-quality samples of one track (a bounded min-heap)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._heap: list[tuple[float, int, FaceSample]] = []
        self._counter = itertools.count()
        self.seen = 0

    def would_keep(self, quality: float) -> bool:
        """Whether a sample of this quality would enter (lets callers skip costly work)."""
        return len(self._heap) < self.capacity or quality > self._heap[0][0]

    def offer(self, sample: FaceSample) -> bool:
        self.seen += 1
        entry = (sample.quality, next(self._counter), sample)
        if len(self._heap) < self.capacity:
            heapq.heappush(self._heap, entry)
            return True
        if sample.quality > self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)
            return True
        return False

    def best_first(self) -> list[FaceSample]:
        return [entry[2] for entry in sorted(self._heap, key=lambda e: (-e[0], e[1]))]

    def __len__(self) -> int:
        return len(self._heap)
