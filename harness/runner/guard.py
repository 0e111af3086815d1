"""Guards of a run: stop when Neo4j is gone, and never leave a run `running` after it ended.

A run whose Neo4j died would otherwise go on calling the model for every remaining item
(a paid API keeps charging) and record each item as an infra error. The breaker watches
verdicts: on the first `infra_db` it probes the server, and it stops the run when the probe
fails or `threshold` `infra_db` verdicts come in a row (a server that answers the probe but
fails every query).
"""

from __future__ import annotations

import time

from neo4j.exceptions import DriverError, Neo4jError

from ..errors import HarnessError, RunAborted
from ..graph.driver import PROBE_S, call_with_deadline
from ..graph.fingerprint import GraphState, fingerprint_since
from ..store.health import StoreUnavailable

FINAL_WRITE_WAIT_S = 30.0


class Neo4jLost(HarnessError):
    """Neo4j went away during a run: the run stops, its in-flight items are recorded as infra_db."""


class GenerationLost(RunAborted):
    """Nothing can generate any more (every Ray replica gone): the run stops `interrupted`, resumable.

    The message names what was lost and the `--resume` command."""


def resume_hint(run_id: str, model: str, uri: str) -> str:
    return (
        f"Neo4j at {uri} went away during run {run_id}: start it again (`harness db up`, then `harness graph load`) "
        f"and continue with `harness run --model {model} --resume`"
    )


class Neo4jBreaker:
    """Opens (raises Neo4jLost) when the server is gone; verdicts pass through `observe`."""

    def __init__(self, driver, uri: str, threshold: int = 5):
        self.driver, self.uri, self.threshold = driver, uri, threshold
        self.streak = 0

    def alive(self) -> bool:
        """The server answers within a deadline (a server that stopped answering must not hold the run)."""
        try:
            return bool(call_with_deadline(lambda: self.driver.verify_connectivity() or True, 2 * PROBE_S, False))
        except (DriverError, Neo4jError, OSError):
            return False

    def observe(self, outcome: str) -> None:
        if outcome != "infra_db":
            self.streak = 0
            return
        self.streak += 1
        if self.streak >= self.threshold:
            raise Neo4jLost(f"{self.streak} queries in a row failed on Neo4j at {self.uri}")
        if not self.alive():
            raise Neo4jLost(f"Neo4j at {self.uri} does not answer")

    def watching(self, on_item):
        """`on_item` for the pipeline that also feeds the breaker."""

        def both(outcome: str, scored: bool) -> None:
            on_item(outcome, scored)
            self.observe(outcome)

        return both


def fingerprint_or_none(driver, since: GraphState) -> str | None:
    """The graph's fingerprint now (see `fingerprint_since`), or None when the server cannot be reached."""
    try:
        return fingerprint_since(driver, since)
    except (DriverError, Neo4jError, OSError):
        return None


def end_run(store, run_id: str, **fields) -> None:
    """The run's final status, waiting out a lock longer than ordinary writes do: a run that ended
    (finished, failed, interrupted) must not stay `running` because another process held the file."""
    deadline = time.monotonic() + FINAL_WRITE_WAIT_S
    while True:
        try:
            store.update_run(run_id, **fields)
            return
        except HarnessError as exc:
            if time.monotonic() > deadline or "locked" not in str(exc):  # a full disk does not clear by waiting
                raise
            time.sleep(0.5)


def store_lost(store, run_id: str, model: str, exc: StoreUnavailable) -> StoreUnavailable:
    """The store took no more writes (locked too long, disk full): the run ends `interrupted`, and the
    message names it and how to continue. Where even that status cannot be written, listings show the
    run `abandoned` once this process has exited, and `--resume` takes it over all the same."""
    try:
        end_run(store, run_id, status="interrupted", error=str(exc))
        unsaved = ""
    except HarnessError:
        unsaved = " (its status could not be written either; listings show it `abandoned`)"
    return StoreUnavailable(
        f"{exc}; run {run_id} is interrupted{unsaved}: continue it with `harness run --model {model} --resume`"
    )
