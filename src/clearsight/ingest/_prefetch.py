"""Run a producer on its own thread, a bounded number of items ahead of the consumer."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# How often a blocked producer checks whether the consumer has gone.
_POLL_S = 0.1


@dataclass(frozen=True)
class _End:
    error: BaseException | None


@dataclass(frozen=True)
class _Item(Generic[T]):
    value: T


def prefetch(produce: Callable[[], Generator[T, None, None]], depth: int, name: str) -> Iterator[T]:
    """Items of ``produce()``, made on a thread at most ``depth`` items ahead.

    Decoding video holds the GIL only briefly (FFmpeg runs outside it), so a decode thread
    overlaps the analysis of the previous frame on the second core. An error raised by the
    producer is raised here, at the point the consumer reaches it; closing this iterator
    stops the producer and closes its generator on its own thread.
    """
    items: queue.Queue[_Item[T] | _End] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def offer(entry: _Item[T] | _End) -> bool:
        while not stop.is_set():
            try:
                items.put(entry, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            produced = produce()
            try:
                for value in produced:
                    if not offer(_Item(value)):
                        return
            finally:
                produced.close()  # on this thread: the decoder is released where it lives
        except BaseException as error:  # handed to the consumer, raised there
            offer(_End(error))
            return
        offer(_End(None))

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        while True:
            entry = items.get()
            if isinstance(entry, _End):
                if entry.error is not None:
                    raise entry.error
                return
            yield entry.value
    finally:
        stop.set()
        thread.join(timeout=5)
