"""Items sharing a gold query run it once per run, even when they are judged at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.runner.gold_memo import GoldMemo


def waiters_counted(expected: int) -> tuple[threading.Event, Callable[[str], None]]:
    """An event set once `expected` items wait for another's computation, and the hook that counts them."""
    arrived, lock, everyone = [], threading.Lock(), threading.Event()

    def on_wait(cypher: str) -> None:
        with lock:
            arrived.append(cypher)
            if len(arrived) == expected:
                everyone.set()

    return everyone, on_wait


def test_concurrent_items_with_one_gold_query_compute_it_once():
    everyone_waits, on_wait = waiters_counted(3)
    memo, calls = GoldMemo(on_wait=on_wait), []

    def compute():
        calls.append(threading.get_ident())
        assert everyone_waits.wait(30), "the other items never waited for this computation"
        return {"rows": [{"a": 1}], "db_ms": 1.0}

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: memo.compute("MATCH (q) RETURN q", compute), range(4), timeout=60))
    assert len(calls) == 1
    assert all(gold == {"rows": [{"a": 1}], "db_ms": 1.0} for gold, _ in answers)
    assert sorted(computed for _, computed in answers) == [False, False, False, True]  # one item stores it
    assert memo.get("MATCH (q) RETURN q") == {"rows": [{"a": 1}], "db_ms": 1.0}
    assert memo.get("MATCH (other) RETURN other") is None


def test_a_failed_gold_reaches_the_waiting_items_and_is_retried_later():
    second_waits, on_wait = waiters_counted(1)
    memo, started, release = GoldMemo(on_wait=on_wait), threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(30)
        raise RuntimeError("server gone")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(memo.compute, "Q", failing)
        assert started.wait(30)
        second = pool.submit(memo.compute, "Q", lambda: {"rows": []})
        assert second_waits.wait(30)  # the second item waits for the first one's computation
        release.set()
        for future in (first, second):
            with pytest.raises(RuntimeError, match="server gone"):
                future.result(30)
    assert memo.get("Q") is None
    assert memo.compute("Q", lambda: {"rows": [], "db_ms": 0.0}) == ({"rows": [], "db_ms": 0.0}, True)


def test_only_recent_gold_queries_are_kept():
    memo = GoldMemo(kept=2)
    for n in range(3):
        memo.put(f"Q{n}", {"rows": [{"n": n}]})
    assert memo.get("Q0") is None and memo.get("Q2") == {"rows": [{"n": 2}]}


def test_an_item_runs_its_query_while_another_computes_their_gold(neo4j_driver, monkeypatch):
    """The second item of a paraphrase group does not sit idle: its generated query runs meanwhile."""
    from harness.adapters.base import Generation
    from harness.judge import outcome
    from harness.judge.limits import Limits
    from harness.runner.pipeline import judge_item
    from harness.suitegen.model import SuiteItem

    gold_query = "MATCH (g:Gene {symbol: 'EGFR'}) RETURN g.symbol AS gene"
    memo, computing, release, executed = GoldMemo(), threading.Event(), threading.Event(), threading.Event()
    execute = outcome.execute_untrusted

    def spy(*args, **kwargs):
        result = execute(*args, **kwargs)
        executed.set()
        return result

    def slow_gold():
        computing.set()
        release.wait(30)
        return {"rows": [{"gene": "EGFR"}], "db_ms": 1.0}

    monkeypatch.setattr(outcome, "execute_untrusted", spy)
    item = SuiteItem(id="p2", family_id="F1", question="EGFR?", cypher=gold_query)
    generation = Generation(output=gold_query.replace("MATCH", "MATCH ", 1))
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(memo.compute, gold_query, slow_gold)
        assert computing.wait(30)
        second = pool.submit(judge_item, neo4j_driver, item, generation, None, Limits(), memo)
        assert executed.wait(30)  # the query ran while the gold was still being computed
        assert not second.done()  # and the verdict waits for the gold
        release.set()
        verdict, fresh = second.result(30)
        assert first.result(30)[1] is True
    assert verdict.outcome == "correct" and verdict.gold_row_count == 1 and fresh is None
