"""Camera leases: who runs which camera, decided by compare-and-set on KV revisions.

A lease is a key per camera in the leases bucket naming its worker. It is taken with
``create`` (no lease yet) or ``update(last=revision)`` (the holder is dead), and given back
with ``delete(last=revision)``: of several workers racing for one camera exactly one write
succeeds. A lease's expiry is its holder's: a worker whose heartbeat has not been seen for
``dead_after_s`` is dead, and its cameras are claimed by the others, each up to its fair share
(ceil(cameras / live workers)), so the load spreads and a new worker is filled gradually.

Liveness is judged by when *this* worker last saw a heartbeat on its own monotonic clock, so
clocks of different machines never need to agree. After a start or a reconnection every
known worker gets a fresh grace period, since absence of news then means nothing.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

__all__ = ["LeasePlan", "LeaseView", "plan_leases"]


@dataclass(frozen=True)
class Held:
    worker_id: str
    revision: int


@dataclass
class LeaseView:
    """What a worker knows of cameras, leases and live workers (kept current by watchers)."""

    me: str
    dead_after_s: float
    cameras: dict[str, str] = field(default_factory=dict)
    """Enabled camera id -> site."""
    leases: dict[str, Held] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)
    """Worker id -> monotonic time its heartbeat was last seen."""
    grace_until: float = 0.0
    free_since: dict[str, float] = field(default_factory=dict)
    """Camera -> when it was first seen free (no lease, or its holder dead)."""

    def heard_from(self, worker_id: str, now: float) -> None:
        self.seen[worker_id] = now

    def forgive_all(self, now: float) -> None:
        """Start a grace period: every worker seen so far counts as alive until it ends."""
        self.grace_until = now + self.dead_after_s
        for worker_id in self.seen:
            self.seen[worker_id] = max(self.seen[worker_id], now)

    def is_alive(self, worker_id: str, now: float) -> bool:
        if worker_id == self.me:
            return True
        seen = self.seen.get(worker_id)
        if seen is None:
            return now < self.grace_until
        return now - seen < self.dead_after_s

    def live_workers(self, now: float) -> set[str]:
        return {w for w in self.seen if self.is_alive(w, now)} | {self.me}

    def mine(self) -> set[str]:
        return {
            c for c, held in self.leases.items() if held.worker_id == self.me and c in self.cameras
        }


@dataclass(frozen=True)
class LeasePlan:
    """What to do in one lease check."""

    claim: list[str]
    """Cameras to take (free, or held by a dead worker), up to the fair share."""
    release: list[str]
    """Own cameras to give back (above the fair share, or no longer configured)."""
    share: int


def plan_leases(view: LeaseView, now: float, release_limit: int, rng: random.Random) -> LeasePlan:
    """Claims and releases for this check; shuffled so racing workers rarely collide."""
    live = view.live_workers(now)
    share = math.ceil(len(view.cameras) / len(live)) if view.cameras else 0
    mine = view.mine()
    stale = sorted(
        c for c, held in view.leases.items() if held.worker_id == view.me and c not in view.cameras
    )
    free = [
        c
        for c in view.cameras
        if c not in view.leases or not view.is_alive(view.leases[c].worker_id, now)
    ]
    view.free_since = {c: view.free_since.get(c, now) for c in free}
    rng.shuffle(free)
    claim = free[: max(0, share - len(mine))]
    # A safety net: a camera nobody has taken for a whole expiry period (every worker at its
    # share, say, by rounding or a stale view) is taken anyway; rebalancing spreads it later.
    forgotten = [c for c in free[len(claim) :] if now - view.free_since[c] >= view.dead_after_s]
    claim += forgotten[:release_limit]
    extra = max(0, len(mine) - share)
    # Give back only while some live worker is below its share, or the cameras would bounce.
    others_below = any(
        sum(1 for h in view.leases.values() if h.worker_id == w) < share - 1
        for w in live - {view.me}
    )
    release = stale[:release_limit]
    if extra and others_below and not free:
        ordered = sorted(mine)
        rng.shuffle(ordered)
        release += ordered[: min(extra, release_limit)]
    return LeasePlan(claim=claim, release=release, share=share)
