"""Watching a cluster from outside: who holds which camera and what each worker runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from clearsight.cluster._nats import ClusterBuckets
from clearsight.cluster._watch import watch_bucket
from clearsight.cluster._wire import LeaseRecord, WorkerHeartbeat, parse_wire

__all__ = ["ClusterObserver"]


class ClusterObserver:
    """Lease holders and heartbeats of a namespace, kept current by watching the buckets."""

    def __init__(self, buckets: ClusterBuckets) -> None:
        self._buckets = buckets
        self.holders: dict[str, str] = {}
        self.beats: dict[str, WorkerHeartbeat] = {}
        self.seen: dict[str, float] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(watch_bucket(self._buckets.leases, self._on_lease, _nothing)),
            asyncio.create_task(watch_bucket(self._buckets.workers, self._on_beat, _nothing)),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _on_lease(self, key: str, revision: int, value: bytes | None) -> None:
        if value is None:
            self.holders.pop(key, None)
        else:
            self.holders[key] = parse_wire(LeaseRecord, value, key).worker_id

    def _on_beat(self, key: str, revision: int, value: bytes | None) -> None:
        if value is None:
            self.beats.pop(key, None)
            return
        self.beats[key] = parse_wire(WorkerHeartbeat, value, key)
        self.seen[key] = time.monotonic()

    def live_workers(self, within_s: float = 3.0) -> set[str]:
        now = time.monotonic()
        return {w for w, t in self.seen.items() if now - t < within_s}

    def running(self, live_only: bool = True) -> dict[str, str]:
        """Camera -> worker, from the heartbeats of (live) workers."""
        live = self.live_workers() if live_only else set(self.beats)
        return {c: w for w, beat in self.beats.items() if w in live for c in beat.cameras}

    def worker_of_pid(self, pid: int) -> str | None:
        return next((w for w, b in self.beats.items() if b.pid == pid), None)

    async def wait_for(
        self, condition: Callable[[], bool], timeout: float, poll: float = 0.1
    ) -> float | None:
        """Seconds until ``condition()`` holds, or None after ``timeout``."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if condition():
                return time.monotonic() - start
            await asyncio.sleep(poll)
        return None


def _nothing() -> None:
    return None
