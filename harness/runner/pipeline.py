"""The item pipeline: model calls and judging overlap, verdicts are stored one by one.

Generation runs in one thread pool (as wide as the adapter allows), judging in
another (Neo4j sessions are per thread), and only the main thread touches SQLite,
committing each item's generation and verdict in one transaction the moment it is
known. A bounded window of items in flight keeps memory flat whatever the suite size.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any

from ..adapters.base import Adapter, Generation
from ..errors import RunAborted
from ..interrupts import deferred_sigint, raise_if_stopped
from ..judge.gold import GoldFailed, read_session, run_gold
from ..judge.outcome import judge_output
from ..store import Store
from ..suitegen.model import SuiteItem
from ..verdict import Outcome, Verdict
from .gold_memo import GoldMemo
from .guard import Neo4jLost

GOLD_TIMEOUT_S = 30.0
GOLD_ROW_CAP = 100_000
POLL_S = 0.25  # how long the main thread waits for a finished future before it looks at Ctrl-C again


@dataclass(frozen=True)
class Limits:
    """What one generated query may cost on the server."""

    timeout_s: float = 10.0
    row_cap: int = 5000

    def recorded(self) -> dict:
        return {"timeout_s": self.timeout_s, "row_cap": self.row_cap}


def compute_gold(driver, cypher: str, limits: Limits) -> tuple[list[dict], float]:
    """The gold rows of one item, with more room than a generated query gets (gold is trusted and linted)."""
    with read_session(driver) as session:
        return run_gold(
            session, cypher, timeout_s=max(limits.timeout_s, GOLD_TIMEOUT_S), row_cap=max(limits.row_cap, GOLD_ROW_CAP)
        )


def _gold(driver, cypher: str, limits: Limits) -> dict[str, Any]:
    rows, db_ms = compute_gold(driver, cypher, limits)
    return {"rows": rows, "db_ms": db_ms}


def timed_generate(adapter: Adapter, item: SuiteItem) -> Generation:
    """The adapter's generation of one item, timed; an adapter bug becomes a harness_error (Ray replicas call it too)."""
    started = time.perf_counter()
    try:
        generation = adapter.generate(item)
    except RunAborted:  # the back end cannot go on (a worker crashing again and again): stop the run
        raise
    except Exception as exc:  # an adapter bug must not kill the run: record it, retry on resume
        return Generation(
            infra_error=f"harness_error: {type(exc).__name__}: {exc}",
            gen_ms=(time.perf_counter() - started) * 1000,
            meta={"harness_error": True},
        )
    if generation.gen_ms is None:
        generation.gen_ms = (time.perf_counter() - started) * 1000
    return generation


def _judge(
    driver,
    item: SuiteItem,
    generation: Generation,
    gold: dict[str, Any] | None,
    limits: Limits,
    memo: GoldMemo,
) -> tuple[Verdict, dict | None]:
    """Returns (verdict, freshly computed gold or None).

    An unknown gold query is computed first, unless another item is computing it already:
    then this item's generated query runs meanwhile, and the gold is awaited only to compare.
    """
    fresh: dict[str, Any] | None = None

    def gold_rows() -> list[dict]:
        nonlocal gold, fresh
        if gold is None:
            gold, computed = memo.compute(item.cypher, lambda: _gold(driver, item.cypher, limits))
            fresh = gold if computed else None
        return gold["rows"]

    try:
        if generation.infra_error:
            outcome = Outcome.HARNESS_ERROR if generation.meta.get("harness_error") else Outcome.INFRA_MODEL
            return Verdict.infra(outcome, generation.infra_error), None
        if gold is None and not memo.pending(item.cypher):
            gold_rows()
        verdict = judge_output(
            driver,
            generation.output,
            gold_rows,
            ordered=item.ordered,
            gold_query=item.cypher,
            timeout_s=limits.timeout_s,
            row_cap=limits.row_cap,
        )
        return verdict, fresh
    except GoldFailed as exc:
        return Verdict.infra(exc.outcome, f"gold query failed: {exc}", "harness.GoldFailed"), None
    except Exception as exc:
        return Verdict.infra(Outcome.HARNESS_ERROR, f"{type(exc).__name__}: {exc}", type(exc).__name__), fresh


def run_items(
    *,
    store: Store,
    run_id: str,
    fingerprint: str,
    adapter: Adapter,
    driver,
    items: Iterator[SuiteItem],
    gen_workers: int,
    judge_workers: int,
    limits: Limits,
    on_item: Callable[[str, bool], None],
) -> int:
    """Generate and judge every item; returns how many were recorded."""
    window = 2 * (gen_workers + judge_workers)
    generating: dict = {}
    judging: dict = {}
    finished: queue.SimpleQueue[Future] = queue.SimpleQueue()  # futures in the order they finish
    recorded = 0
    attempts = store.attempts(run_id)
    source = iter(items)
    exhausted = False
    stop = threading.Event()
    memo = GoldMemo()

    def submit(pool: ThreadPoolExecutor, *call) -> Future:
        future = pool.submit(*call)
        future.add_done_callback(finished.put)
        return future

    with (
        deferred_sigint(stop),
        ThreadPoolExecutor(gen_workers, thread_name_prefix="generate") as gen_pool,
        ThreadPoolExecutor(judge_workers, thread_name_prefix="judge") as judge_pool,
    ):
        try:
            while True:
                while not exhausted and len(generating) + len(judging) < window:
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                        break
                    generating[submit(gen_pool, timed_generate, adapter, item)] = item
                if not generating and not judging:
                    return recorded
                try:  # one finished future at a time: no scan of the whole window per item
                    future = finished.get(timeout=POLL_S)
                except queue.Empty:
                    future = None
                raise_if_stopped(stop)
                if future is None:
                    continue
                if future in generating:
                    item = generating.pop(future)
                    generation = future.result()
                    gold = memo.get(item.cypher)
                    if gold is None and (gold := store.gold_get(fingerprint, item.cypher)):
                        memo.put(item.cypher, gold)
                    judging[submit(judge_pool, _judge, driver, item, generation, gold, limits, memo)] = (
                        item,
                        generation,
                    )
                else:
                    item, generation = judging.pop(future)
                    verdict, fresh_gold = future.result()
                    gold = (
                        None
                        if fresh_gold is None
                        else {"fingerprint": fingerprint, "cypher": item.cypher, **fresh_gold}
                    )
                    attempts[item.id] = attempts.get(item.id, 0) + 1
                    _record(store, run_id, item, generation, verdict, gold, attempts[item.id])
                    recorded += 1
                    on_item(verdict.outcome.value, verdict.scored)
        except BaseException as exc:
            for future in [*generating, *judging]:
                future.cancel()
            if isinstance(exc, Neo4jLost):
                _record_in_flight(store, run_id, fingerprint, generating, judging, attempts, str(exc))
            gen_pool.shutdown(wait=False, cancel_futures=True)
            judge_pool.shutdown(wait=False, cancel_futures=True)
            raise


def _record_in_flight(
    store: Store, run_id: str, fingerprint: str, generating: dict, judging: dict, attempts: dict, why: str
) -> None:
    """Neo4j is gone: items being judged get their verdict (infra_db when the server was needed),
    items whose model call was under way are recorded as infra_db with their output; items not
    yet sent to the model were cancelled and are not recorded."""
    in_flight = [(item, generation, future) for future, (item, generation) in judging.items()]
    in_flight += [(item, future.result(), None) for future, item in generating.items() if not future.cancelled()]
    for item, generation, judged in in_flight:
        verdict, gold = Verdict.infra(Outcome.INFRA_DB, f"not judged: {why}", "harness.Neo4jLost"), None
        if judged is not None and not judged.cancelled():
            verdict, fresh = judged.result()
            gold = None if fresh is None else {"fingerprint": fingerprint, "cypher": item.cypher, **fresh}
        attempts[item.id] = attempts.get(item.id, 0) + 1
        _record(store, run_id, item, generation, verdict, gold, attempts[item.id])


def _record(
    store: Store,
    run_id: str,
    item: SuiteItem,
    generation: Generation,
    verdict: Verdict,
    gold: dict | None,
    attempts: int,
) -> None:
    verdict.detail.update(question=item.question, gold_cypher=item.cypher, retries=generation.retries)
    item_fields = {
        "family_id": item.family_id,
        "template_id": item.template_id,
        "gen_ms": generation.gen_ms,
        "prompt_tokens": generation.prompt_tokens,
        "output_tokens": generation.output_tokens,
        "attempts": attempts,
    }
    generation_fields = {f.name: getattr(generation, f.name) for f in fields(generation)}  # asdict deep-copies
    store.record_item(run_id, item.id, generation_fields, verdict, item_fields, gold)
