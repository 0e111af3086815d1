"""Ctrl-C at safe points: the handler only sets a flag, and the loop raises between units of work.

A KeyboardInterrupt raised at an arbitrary point can land inside the Neo4j driver (leaving a
pooled connection half-read) or inside concurrent.futures (leaving a future's lock held).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def deferred_sigint(stop: threading.Event | None = None) -> Iterator[threading.Event]:
    """Within the block, SIGINT sets the yielded event instead of raising; outside the main thread, a no-op."""
    stop = stop or threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def raise_if_stopped(stop: threading.Event) -> None:
    if stop.is_set():
        raise KeyboardInterrupt
