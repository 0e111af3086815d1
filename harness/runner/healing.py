"""A judge that heals: a harness-owned Neo4j that dies or stops answering during a run is restarted.

Generated queries are untrusted; one of them may take the server down (an out-of-memory error ends
the JVM, see graph/jvm.SAFETY_FLAGS; a server thrashing in its garbage collector stops answering).
For a server the harness started (`db up`: jvm or docker) the pipeline then waits for the items in
flight, asks `ServerHealer` to restart the server on the same data (the graph's fingerprint must be
the run's), and judges those items again one at a time: the item whose own query takes the server
down again is the model's scored failure (`crash_verdict`), the others get their usual verdicts.
Restarts are bounded: at most `max_restarts` in a row with no item judged in between, and each
restart tries `START_TRIES` times; past that the run stops as for a lost server. A server the
harness does not own (`uri`) is never touched: a run on it stops (runner/guard.py).
"""

from __future__ import annotations

import time

from neo4j.exceptions import DriverError, Neo4jError

from ..errors import HarnessError
from ..graph import provision
from ..graph.driver import PROBE_S, answers, one_line
from ..graph.fingerprint import fingerprint
from ..graph.instance import Neo4jInstance
from ..verdict import Outcome, Verdict
from .guard import Neo4jLost

MAX_RESTARTS = 3
START_TRIES = 2
FINGERPRINT_TRIES = 5
HEALABLE_BACKENDS = ("jvm", "docker")
CRASH_CLASS = "harness.ServerCrash"


def crash_verdict(query: str | None, gold_row_count: int) -> Verdict:
    """The verdict of an item whose generated query took the server down: the model's scored failure."""
    verdict = Verdict.unscored_yet(query, gold_row_count)
    verdict.outcome = Outcome.EXEC_ERROR
    verdict.syntax_ok = True  # the server planned it; it died running it
    verdict.error_class = CRASH_CLASS
    verdict.error = (
        "the query took the Neo4j server down (it ran out of memory or stopped answering); "
        "the harness restarted the server and went on"
    )
    return verdict


class ServerHealer:
    """Restarts one harness-owned server on the same data, at most `max_restarts` times in a row."""

    def __init__(self, instance: Neo4jInstance, driver, graph: str, max_restarts: int = MAX_RESTARTS):
        self.instance, self.driver, self.graph = instance, driver, graph
        self.max_restarts = max_restarts
        self.restarts: list[str] = []  # why each restart happened
        self.in_a_row = 0  # restarts since an item was last judged
        self.last_restart_s = 0.0

    @staticmethod
    def owns(instance: Neo4jInstance | None) -> bool:
        return bool(instance and instance.owned and instance.backend in HEALABLE_BACKENDS)

    def answers(self, timeout_s: float = PROBE_S) -> bool:
        return answers(self.instance, timeout_s)

    def judged(self) -> None:
        """An item was judged since the last restart: the server works again."""
        self.in_a_row = 0

    def restart(self, why: str) -> None:
        """Kill and start the server again, wait for Bolt, check the graph; Neo4jLost when it cannot be done."""
        if self.in_a_row >= self.max_restarts:
            raise Neo4jLost(
                f"Neo4j at {self.instance.uri} went down {self.in_a_row + 1} times in a row with no item judged "
                f"in between (the harness restarts it at most {self.max_restarts} times in a row): {why}"
            )
        self.in_a_row += 1
        self.restarts.append(why)
        started = time.monotonic()
        for attempt in range(START_TRIES):
            try:
                provision.restart(self.instance)
                break
            except HarnessError as exc:
                if attempt + 1 == START_TRIES:
                    raise Neo4jLost(
                        f"Neo4j at {self.instance.uri} went down ({why}) and could not be restarted: {exc}"
                    ) from None
        live = self._fingerprint(why)
        if live != self.graph:
            raise Neo4jLost(
                f"Neo4j at {self.instance.uri} was restarted after it went down ({why}), but it holds graph "
                f"{live[:12]}, not the run's {self.graph[:12]}"
            )
        self.last_restart_s = time.monotonic() - started

    def _fingerprint(self, why: str) -> str:
        """The restarted server's graph; the driver's first tries may meet connections of the old process."""
        for attempt in range(FINGERPRINT_TRIES):
            try:
                return fingerprint(self.driver)
            except (DriverError, Neo4jError, OSError) as exc:
                if attempt + 1 == FINGERPRINT_TRIES:
                    raise Neo4jLost(
                        f"Neo4j at {self.instance.uri} was restarted after it went down ({why}), "
                        f"but its graph cannot be read: {one_line(exc)}"
                    ) from None
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def ensure_answering(self, why: str) -> None:
        """Restart the server unless it answers now."""
        if not self.answers():
            self.restart(why)
