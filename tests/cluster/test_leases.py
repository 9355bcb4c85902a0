"""Lease planning: fair shares, takeover from dead workers, grace after a start."""

from __future__ import annotations

import random

from clearsight.cluster import LeaseView, plan_leases
from clearsight.cluster._leases import Held


def _view(me: str, cameras: int, now: float = 100.0, dead_after: float = 4.0) -> LeaseView:
    view = LeaseView(me, dead_after)
    view.cameras = {f"c{i:03d}": "site" for i in range(cameras)}
    return view


def _simulate(
    workers: list[str],
    cameras: int,
    rounds: int,
    now: float = 100.0,
    leases: dict[str, Held] | None = None,
) -> dict[str, Held]:
    """Workers planning in turn against one shared lease table, with compare-and-set."""
    table: dict[str, Held] = dict(leases or {})
    revision = 1000
    rng = random.Random(1)
    for _ in range(rounds):
        for me in workers:
            view = _view(me, cameras)
            view.leases = dict(table)
            for other in workers:
                view.heard_from(other, now)
            plan = plan_leases(view, now, release_limit=50, rng=rng)
            for camera in plan.release:
                if table.get(camera, Held("", 0)).worker_id == me:
                    del table[camera]
            for camera in plan.claim:
                seen = view.leases.get(camera)
                if table.get(camera) == seen:  # compare-and-set on the revision seen
                    revision += 1
                    table[camera] = Held(me, revision)
    return table


def _counts(table: dict[str, Held]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for held in table.values():
        counts[held.worker_id] = counts.get(held.worker_id, 0) + 1
    return counts


def test_workers_split_cameras_fairly_and_each_camera_has_one_holder() -> None:
    table = _simulate(["w1", "w2", "w3", "w4"], cameras=103, rounds=3)
    assert len(table) == 103
    counts = _counts(table)
    assert sorted(counts) == ["w1", "w2", "w3", "w4"]
    assert max(counts.values()) - min(counts.values()) <= 1 + 103 % 4


def test_a_new_worker_is_filled_by_others_giving_back() -> None:
    table = _simulate(["w1", "w2"], cameras=100, rounds=2)
    assert _counts(table) == {"w1": 50, "w2": 50}
    table = _simulate(["w1", "w2", "w3", "w4"], cameras=100, rounds=6, leases=table)
    counts = _counts(table)
    assert len(table) == 100
    assert all(24 <= n <= 26 for n in counts.values()), counts


def test_dead_workers_cameras_are_claimed_once_silent_long_enough() -> None:
    view = _view("w1", cameras=10, dead_after=4.0)
    view.leases = {f"c{i:03d}": Held("w2" if i < 5 else "w1", i + 1) for i in range(10)}
    view.heard_from("w2", 100.0)
    rng = random.Random(0)
    assert plan_leases(view, 103.0, 50, rng).claim == []  # still alive
    plan = plan_leases(view, 104.5, 50, rng)
    assert sorted(plan.claim) == [f"c{i:03d}" for i in range(5)]
    assert plan.share == 10


def test_unknown_holders_are_alive_during_the_grace_period() -> None:
    view = _view("w9", cameras=4)
    view.leases = {f"c{i:03d}": Held("w1", i + 1) for i in range(4)}
    view.forgive_all(100.0)  # just started: has not heard from w1 yet
    rng = random.Random(0)
    assert plan_leases(view, 101.0, 50, rng).claim == []
    assert len(plan_leases(view, 104.5, 50, rng).claim) == 4  # never heard: dead after grace


def test_reconnection_forgives_silence() -> None:
    view = _view("w1", cameras=2)
    view.leases = {"c000": Held("w2", 1), "c001": Held("w1", 2)}
    view.heard_from("w2", 90.0)
    assert plan_leases(view, 100.0, 50, random.Random(0)).claim == ["c000"]
    view.forgive_all(100.0)
    assert plan_leases(view, 101.0, 50, random.Random(0)).claim == []


def test_removed_cameras_are_given_back() -> None:
    view = _view("w1", cameras=1)
    view.leases = {"c000": Held("w1", 1), "gone": Held("w1", 2)}
    plan = plan_leases(view, 100.0, 50, random.Random(0))
    assert plan.release == ["gone"] and plan.claim == []


def test_a_camera_left_free_too_long_is_taken_beyond_the_share() -> None:
    view = _view("w1", cameras=3)
    view.leases = {"c000": Held("w1", 1), "c001": Held("w2", 2)}
    view.heard_from("w2", 100.0)
    view.heard_from("w3", 100.0)  # share is 1: w1 is full
    rng = random.Random(0)
    assert plan_leases(view, 100.0, 50, rng).claim == []
    view.heard_from("w2", 103.0)
    view.heard_from("w3", 103.0)
    assert plan_leases(view, 103.0, 50, rng).claim == []
    view.heard_from("w2", 104.5)
    view.heard_from("w3", 104.5)
    assert plan_leases(view, 104.5, 50, rng).claim == ["c002"]
