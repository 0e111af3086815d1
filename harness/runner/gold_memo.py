"""Gold rows shared within a run: items with the same gold query (paraphrases, synonym variants) run it once.

A suite's paraphrases of one question share its gold query and sit next to each other,
so they are judged at the same time. The first item to need a gold query computes it; the
others wait for that result instead of running the query again, and find it here
afterwards without a database read. Only the item that computed the rows stores them
in the gold cache. A failed computation is not kept: the next item tries again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

KEPT = 256  # recent gold queries kept in memory; a suite's shared queries are adjacent


class GoldMemo:
    def __init__(self, kept: int = KEPT, on_wait: Callable[[str], None] | None = None):
        """`on_wait(cypher)`: called when an item starts waiting for another item's computation
        (from then on it gets that computation's result or failure); tests synchronise on it."""
        self.kept = kept
        self.on_wait = on_wait
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Future] = OrderedDict()

    def get(self, cypher: str) -> dict | None:
        """The gold of `cypher` if it is already known here."""
        with self._lock:
            future = self._entries.get(cypher)
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result()

    def pending(self, cypher: str) -> bool:
        """Whether another item is computing the gold of `cypher` right now."""
        with self._lock:
            future = self._entries.get(cypher)
        return future is not None and not future.done()

    def put(self, cypher: str, gold: dict) -> None:
        future: Future = Future()
        future.set_result(gold)
        with self._lock:
            self._entries[cypher] = future
            self._trim()

    def compute(self, cypher: str, compute: Callable[[], dict]) -> tuple[dict, bool]:
        """(gold, whether this call computed it): runs `compute` unless another thread already is."""
        with self._lock:
            waiting = self._entries.get(cypher)
            if waiting is None:
                future: Future = Future()
                self._entries[cypher] = future
                self._trim()
        if waiting is not None:
            if self.on_wait is not None:
                self.on_wait(cypher)
            return waiting.result(), False  # re-raises the computing thread's failure
        try:
            gold = compute()
        except BaseException as exc:
            with self._lock:
                if self._entries.get(cypher) is future:
                    del self._entries[cypher]
            future.set_exception(exc)
            raise
        future.set_result(gold)
        return gold, True

    def _trim(self) -> None:
        while len(self._entries) > self.kept:
            oldest = next(iter(self._entries))
            if not self._entries[oldest].done():
                break  # never drop a computation others may be waiting for
            del self._entries[oldest]
