"""Deadlines on a run's Neo4j: no call waits without end on a server that stopped answering.

Each query has a server-side timeout, and a harness-started server also tells the driver to give
up on a connection that stays silent (Bolt keep-alive, graph/jvm.KEEP_ALIVE). A server the harness
does not own may send no such hint, so the pipeline also watches the clock: when no judged query
has come back for `stall_s`, the server is probed (a fresh connection, `PROBE_S`). A server that
does not answer is restarted when the harness owns it (runner/healing.py) and otherwise ends the
run (`Neo4jLost`: interrupted, with its resume line), within about stall_s + PROBE_S.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from ..graph.driver import PROBE_S, answers
from ..graph.instance import Neo4jInstance
from ..interrupts import raise_if_stopped
from .guard import Neo4jLost
from .healing import ServerHealer

STALL_S = 20.0
POLL_S = 0.25


def stall_seconds() -> float:
    """`HARNESS_NEO4J_STALL_S`, else STALL_S: how long no judged query may come back before a probe."""
    try:
        return max(1.0, float(os.environ.get("HARNESS_NEO4J_STALL_S") or STALL_S))
    except ValueError:
        return STALL_S


class ServerWatch:
    """Probes a server whose queries stopped coming back; restarts it (owned) or ends the run."""

    def __init__(self, instance: Neo4jInstance, healer: ServerHealer | None = None, stall_s: float | None = None):
        self.instance, self.healer = instance, healer
        self.stall_s = stall_seconds() if stall_s is None else stall_s

    def stalled(self, since: float) -> bool:
        return time.monotonic() - since > self.stall_s

    def check(self, why: str) -> bool:
        """True when the server had to be restarted; raises Neo4jLost for a server that is not ours."""
        if answers(self.instance, PROBE_S):
            return False
        if self.healer is None:
            raise Neo4jLost(
                f"Neo4j at {self.instance.uri} stopped answering ({why}; no reply to a probe within {PROBE_S:g}s)"
            )
        self.healer.restart(f"it stopped answering ({why})")
        return True

    def wait(self, future: Future, stop: threading.Event):
        """(the future's result, whether the server was restarted meanwhile), Ctrl-C and stalls watched."""
        since, restarted = time.monotonic(), False
        while True:
            try:
                return future.result(timeout=POLL_S), restarted
            except FutureTimeout:
                pass
            raise_if_stopped(stop)
            if self.stalled(since):
                restarted = self.check("a query judged alone did not come back") or restarted
                since = time.monotonic()
