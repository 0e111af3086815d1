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
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import fields
from typing import Any

from ..adapters.base import Adapter, Generation
from ..errors import RunAborted
from ..graph.driver import sever
from ..interrupts import deferred_sigint, raise_if_stopped
from ..judge.gold import GoldFailed, read_session, run_gold
from ..judge.limits import Limits
from ..judge.outcome import judge_output
from ..store import Store
from ..suitegen.model import SuiteItem
from ..verdict import Outcome, Verdict
from .budget import CostLimit
from .gold_memo import GoldMemo
from .guard import Neo4jLost
from .healing import crash_verdict
from .watch import ServerWatch

GOLD_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0  # beyond the query timeout, how long a stop waits for the queries under way
GOLD_ROW_CAP = 100_000
POLL_S = 0.25  # how long the main thread waits for a finished future before it looks at Ctrl-C again


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


def judge_item(
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
            limits=limits,
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
    server: ServerWatch | None = None,
    budget: CostLimit | None = None,
) -> int:
    """Generate and judge every item (or, with a `budget`, those it allows); returns how many were recorded.

    `server` watches Neo4j: a server that stops answering is restarted (owned) or ends the run
    (Neo4jLost); without it, a hung server is waited for as long as the driver waits."""
    window = 2 * (gen_workers + judge_workers)
    generating: dict = {}
    judging: dict = {}
    suspects: list[tuple[SuiteItem, Generation]] = []  # judged infra_db while the server may have gone down
    held: list[tuple[SuiteItem, Generation]] = []  # generated while the server heals: judged after
    finished: queue.SimpleQueue[Future] = queue.SimpleQueue()  # futures in the order they finish
    recorded = 0
    attempts = store.attempts(run_id)
    source = iter(items)
    exhausted = False
    stop = threading.Event()
    memo = GoldMemo()
    healer = server.healer if server else None
    last_judged = time.monotonic()

    def submit(pool: ThreadPoolExecutor, *call) -> Future:
        future = pool.submit(*call)
        future.add_done_callback(finished.put)
        return future

    def record(item: SuiteItem, generation: Generation, verdict: Verdict, fresh_gold: dict | None) -> None:
        nonlocal recorded
        gold = None if fresh_gold is None else {"fingerprint": fingerprint, "cypher": item.cypher, **fresh_gold}
        attempts[item.id] = attempts.get(item.id, 0) + 1
        _record(store, run_id, item, generation, verdict, gold, attempts[item.id])
        recorded += 1
        if healer is not None and verdict.outcome != Outcome.INFRA_DB:
            healer.judged()
        on_item(verdict.outcome.value, verdict.scored)

    def judge_alone(item: SuiteItem, generation: Generation) -> tuple[Verdict, dict | None, bool]:
        """Judge one item with nothing else on the server: (verdict, fresh gold, whether the server was
        restarted meanwhile), waiting with Ctrl-C and the server watched."""
        future = judge_pool.submit(judge_item, driver, item, generation, memo.get(item.cypher), limits, memo)
        if server is None:
            return (*future.result(), False)
        (verdict, fresh_gold), restarted = server.wait(future, stop)
        return verdict, fresh_gold, restarted

    def heal() -> None:
        """The server went down or stopped answering: restart it, then judge the suspects one at a time."""
        assert healer is not None
        healer.ensure_answering(f"{len(suspects)} queries failed on it at once")
        while suspects:
            item, generation = suspects.pop(0)
            verdict, fresh_gold, restarted = judge_alone(item, generation)
            if verdict.outcome == Outcome.INFRA_DB and (restarted or not healer.answers()):
                # alone on the server, this item's query took it down again: the model's failure
                gold = memo.get(item.cypher)
                verdict = crash_verdict(verdict.extracted_query, len(gold["rows"]) if gold else 0)
                if not restarted:
                    healer.restart(f"item {item.id}'s generated query took it down")
            record(item, generation, verdict, fresh_gold)
        while held:
            item, generation = held.pop(0)
            judging[submit(judge_pool, judge_item, driver, item, generation, memo.get(item.cypher), limits, memo)] = (
                item,
                generation,
            )

    gen_pool = ThreadPoolExecutor(gen_workers, thread_name_prefix="generate")
    judge_pool = ThreadPoolExecutor(judge_workers, thread_name_prefix="judge")
    try:
        with deferred_sigint(stop):
            while True:
                while not exhausted and len(generating) + len(judging) + len(held) < window:
                    if budget is not None and budget.must_wait(len(generating)):
                        break
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                        break
                    if budget is not None and not budget.allows(len(generating)):
                        exhausted = True  # this item stays unrecorded (resume takes it); calls under way finish
                        break
                    generating[submit(gen_pool, timed_generate, adapter, item)] = item
                if not generating and not judging and not suspects and not held:
                    return recorded
                try:  # one finished future at a time: no scan of the whole window per item
                    future = finished.get(timeout=POLL_S)
                except queue.Empty:
                    future = None
                raise_if_stopped(stop)
                if future is None:
                    if server and judging and server.stalled(last_judged):
                        server.check("no query finished for a while")  # restarts or raises Neo4jLost
                        last_judged = time.monotonic()
                    continue
                if future in generating:
                    item = generating.pop(future)
                    generation = future.result()
                    if budget is not None:
                        budget.add(generation)
                    gold = memo.get(item.cypher)
                    if gold is None and (gold := store.gold_get(fingerprint, item.cypher)):
                        memo.put(item.cypher, gold)
                    if suspects:
                        held.append((item, generation))
                    else:
                        if not judging:  # the clock of a stall starts with the first query in flight
                            last_judged = time.monotonic()
                        judging[submit(judge_pool, judge_item, driver, item, generation, gold, limits, memo)] = (
                            item,
                            generation,
                        )
                elif future in judging:
                    last_judged = time.monotonic()
                    item, generation = judging.pop(future)
                    verdict, fresh_gold = future.result()
                    if healer is not None and verdict.outcome == Outcome.INFRA_DB:
                        suspects.append((item, generation))
                    else:
                        record(item, generation, verdict, fresh_gold)
                if suspects and not judging:
                    heal()
    except BaseException as exc:
        for future in [*generating, *judging]:
            future.cancel()
        if isinstance(exc, KeyboardInterrupt):
            # A stop signal (Ctrl-C, SIGTERM, SIGHUP): the judge calls under way finish, each within its
            # query timeout, and are recorded; the others were never sent, or --resume redoes them.
            wait(list(judging), timeout=limits.timeout_s + STOP_GRACE_S)
            for future, (item, generation) in judging.items():
                if future.done() and not future.cancelled() and future.exception() is None:
                    verdict, fresh_gold = future.result()
                    try:
                        record(item, generation, verdict, fresh_gold)
                    except Neo4jLost:
                        pass  # counted; the breaker may not replace the stop
        sever(driver)  # threads blocked on a server that stopped answering end now, not when it wakes
        if isinstance(exc, Neo4jLost):
            _record_in_flight(store, run_id, fingerprint, generating, judging, [*suspects, *held], attempts, str(exc))
        raise
    finally:
        gen_pool.shutdown(wait=False, cancel_futures=True)
        judge_pool.shutdown(wait=False, cancel_futures=True)


def _record_in_flight(
    store: Store,
    run_id: str,
    fingerprint: str,
    generating: dict,
    judging: dict,
    waiting: list,
    attempts: dict,
    why: str,
) -> None:
    """Neo4j is gone: items being judged get their verdict (infra_db when the server was needed),
    items whose model call was under way or that waited for a restart are recorded as infra_db with
    their output; items not yet sent to the model were cancelled and are not recorded."""
    in_flight = [(item, generation, future) for future, (item, generation) in judging.items()]
    in_flight += [(item, generation, None) for item, generation in waiting]
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
        "group_id": item.group_id or None,
        "gen_ms": generation.gen_ms,
        "prompt_tokens": generation.prompt_tokens,
        "output_tokens": generation.output_tokens,
        "attempts": attempts,
    }
    generation_fields = {f.name: getattr(generation, f.name) for f in fields(generation)}  # asdict deep-copies
    store.record_item(run_id, item.id, generation_fields, verdict, item_fields, gold)
