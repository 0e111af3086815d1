"""Running gold queries read-only and turning their rows into the cached gold expectation.

A session is reused for many queries (opening sessions costs more than these small
queries), each query runs in its own READ transaction with a server-side timeout, and
rows are streamed with a cap, so a runaway gold cannot exhaust memory. `run_many` spreads
queries over a few sessions in threads: on a freshly started server most of the time
goes into parsing and planning each new query text, which the server does in parallel.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from neo4j import unit_of_work
from neo4j.exceptions import DriverError, Neo4jError

from ..judge.canonical import result_hash
from .scan import totally_ordered

TIMEOUT_S = 20.0
ROW_CAP = 20000
WORKERS = 4


class GoldError(Exception):
    """A gold query failed on the server (message says why) or returned too many rows."""


def run_read(session, cypher: str, *, timeout_s: float = TIMEOUT_S, row_cap: int = ROW_CAP) -> list[dict]:
    @unit_of_work(timeout=timeout_s)
    def work(tx):
        rows = []
        for record in tx.run(cypher):
            rows.append(record.data())
            if len(rows) > row_cap:
                raise GoldError(f"more than {row_cap} rows")
        return rows

    try:
        return session.execute_read(work)
    except Neo4jError as exc:
        message = " ".join(str(exc.message or exc).split())
        raise GoldError(f"{exc.code}: {message[:300]}") from None
    except DriverError as exc:
        raise GoldError(f"{type(exc).__name__}: {str(exc)[:300]}") from None


def expectation(rows: list[dict], cypher: str) -> dict:
    """The gold expectation stored with an item: row count, result hash, order, emptiness."""
    ordered = totally_ordered(cypher)
    return {
        "row_count": len(rows),
        "result_hash": result_hash(rows, ordered=ordered),
        "ordered": ordered,
        "empty": not rows,
    }


class GoldRunner:
    """Runs gold queries in one READ session, caching by query text."""

    def __init__(self, driver):
        self._session = driver.session(default_access_mode="READ")
        self._cache: dict[str, list[dict] | GoldError] = {}

    def rows(self, cypher: str) -> list[dict]:
        if cypher not in self._cache:
            try:
                self._cache[cypher] = run_read(self._session, cypher)
            except GoldError as exc:
                self._cache[cypher] = exc
        result = self._cache[cypher]
        if isinstance(result, GoldError):
            raise result
        return result

    def rerun(self, cypher: str) -> list[dict]:
        """A fresh run, bypassing the cache (lint's determinism check)."""
        return run_read(self._session, cypher)

    def close(self) -> None:
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_many(driver, queries, workers: int = WORKERS) -> dict[str, list[dict] | GoldError]:
    """Rows (or the GoldError) for each distinct query, run over `workers` READ sessions."""
    local = threading.local()
    runners: list[GoldRunner] = []

    def run(cypher: str):
        if not hasattr(local, "runner"):
            local.runner = GoldRunner(driver)
            runners.append(local.runner)
        try:
            return cypher, local.runner.rerun(cypher)
        except GoldError as exc:
            return cypher, exc

    distinct = list(dict.fromkeys(queries))
    try:
        with ThreadPoolExecutor(max(1, workers), thread_name_prefix="gold") as pool:
            return dict(pool.map(run, distinct))
    finally:
        for runner in runners:
            runner.close()
