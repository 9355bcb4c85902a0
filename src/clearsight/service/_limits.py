"""Counting failed sign-ins (kept by the service context, used by the sign-in routes)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginLimiter:
    """Failed sign-ins in a sliding window, counted three ways: per (user name, client
    address), per address (caps guessing across many user names) and per user name alone
    (caps guessing one account from many addresses, so rotating addresses gains nothing).

    Kept in memory: a restart forgets the counts, which only helps someone who can restart
    the service. The address is the TCP peer unless ``clearsight serve --trusted-proxy``
    names the proxy whose forwarded-for header is believed.
    """

    def __init__(self, max_failures: int, window_s: float) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def _limits(self, username: str, address: str) -> list[tuple[str, int]]:
        return [
            (f"u:{username}|{address}", self.max_failures),
            (f"a:{address}", self.max_failures * 4),
            (f"n:{username}", self.max_failures * 2),
        ]

    def blocked(self, username: str, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(
                len(self._recent(key, now)) >= limit
                for key, limit in self._limits(username, address)
            )

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key, _ in self._limits(username, address):
                self._recent(key, now).append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{username}|{address}", None)
