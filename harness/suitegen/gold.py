"""Running gold queries read-only and turning their rows into the cached gold expectation.

A session is reused for many queries (opening sessions costs more than these small
queries); each query runs through `judge.gold.run_gold`, the one way gold queries run. `run_many` spreads
queries over a few sessions in threads: on a freshly started server most of the time
goes into parsing and planning each new query text, which the server does in parallel.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from ..cypher.scan import totally_ordered
from ..judge.canonical import result_hash
from ..judge.gold import GoldFailed, read_session, run_gold

TIMEOUT_S = 20.0
ROW_CAP = 20000
WORKERS = 4

GoldError = GoldFailed  # a gold query failed on the server (message says why) or returned too many rows


def run_read(session, cypher: str, *, timeout_s: float = TIMEOUT_S, row_cap: int = ROW_CAP) -> list[dict]:
    return run_gold(session, cypher, timeout_s=timeout_s, row_cap=row_cap)[0]


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
        self._session = read_session(driver)
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
