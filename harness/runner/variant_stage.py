"""Test-suite accuracy for a stored run: its queries judged again on each distilled variant.

An item is correct on the test suite only if it is correct on the base graph and its rows
match the gold's on every variant. Only items correct on the base graph can change, so
only they are re-run: the stored extracted query (the model is never called again),
through the judge's safe executor, against gold rows cached by the variant's fingerprint
in the same `gold_cache` as the base graph's. Each (item, variant) verdict is committed
as soon as it is known in `variant_results`, so an interrupted judging resumes where it
stopped; the base graph is restored however it ends (see `server`).
"""

from __future__ import annotations

import json
import time

from ..errors import HarnessError
from ..graph.csv_source import read_graph_folder
from ..graph.fingerprint import fingerprint
from ..graph.loader import load_graph
from ..interrupts import deferred_sigint, raise_if_stopped
from ..judge.compare import compare
from ..judge.execute import execute_untrusted
from ..store.db import Store, _gold_record, now
from ..suitegen.gold import GoldRunner
from ..suitegen.model import open_suite
from ..testsuite.server import variant_server
from ..testsuite.suite_variants import recorded_variants
from ..testsuite.variants import make_variant


def _gold(store: Store, runner: GoldRunner, graph: str, cypher: str) -> list[dict]:
    cached = store.gold_get(graph, cypher)
    if cached is not None:
        return cached["rows"]
    started = time.perf_counter()
    rows = runner.rows(cypher)
    record = _gold_record(graph, cypher, rows, (time.perf_counter() - started) * 1000)
    with store.db.atomic():
        store.db.table("gold_cache").insert(record, replace=True)
    return rows


def _verdict(driver, item, query: str, gold: list[dict], timeout_s: float, row_cap: int) -> dict:
    if " ".join(query.split()) == " ".join(item.cypher.split()):
        return {"outcome": "correct", "match": 1, "row_count": len(gold)}
    result = execute_untrusted(driver, query, timeout_s=timeout_s, row_cap=row_cap)
    if result.outcome is not None:
        return {"outcome": result.outcome, "match": 0, "row_count": result.row_count, "error": result.error}
    match = compare(gold, result.rows or [], ordered=item.ordered).match
    return {"outcome": "correct" if match else "wrong_result", "match": int(match), "row_count": result.row_count}


def _record(store: Store, run_id: str, item_id: str, variant: dict, graph: str, verdict: dict, gold_rows: int) -> None:
    record = {
        "run_id": run_id,
        "item_id": item_id,
        "variant_id": variant["id"],
        "variant_fingerprint": graph,
        "gold_row_count": gold_rows,
        "created_at": now(),
        **verdict,
    }
    with store.db.atomic():
        store.db.table("variant_results").insert(record, replace=True)


def judge_on_variants(
    run_id: str,
    *,
    db_path: str | None = None,
    graph: str | None = None,
    server: str = "scratch",
    backend: str | None = None,
    timeout_s: float = 10.0,
    row_cap: int = 5000,
    progress=None,
) -> dict:
    """Judge run `run_id`'s base-correct items on every variant its suite records."""
    store = Store(db_path)
    try:
        run = store.get_run(run_id)
        suite = open_suite(run["suite_path"] or run["suite"])
        section = recorded_variants(suite)
        if run["graph_fingerprint"] and run["graph_fingerprint"] != section["base_fingerprint"]:
            raise HarnessError(f"run {run['id']} was judged on another graph than suite {suite.name!r}'s base graph")
        base = read_graph_folder(graph or section.get("graph_source"))
        items = {item.id: item for item in suite.items(split=run["split"] or "test")}
        correct = [r for r in store.results(run["id"]) if r["outcome"] == "correct" and r["item_id"] in items]
        done = {
            (row["item_id"], row["variant_id"])
            for row in store.db.query("select item_id, variant_id from variant_results where run_id = ?", [run["id"]])
        }
        started = time.monotonic()
        with (
            deferred_sigint() as stop,
            variant_server(server, base, section["base_fingerprint"], backend, progress) as driver,
        ):
            for variant in section["variants"]:
                todo = [r for r in correct if (r["item_id"], variant["id"]) not in done]
                if not todo:
                    continue
                raise_if_stopped(stop)
                load_graph(driver, make_variant(base, section["seed"], variant["index"]), replace=True)
                graph_fp = fingerprint(driver)
                if graph_fp != variant["fingerprint"]:
                    raise HarnessError(
                        f"variant {variant['id']} does not reproduce (fingerprint {graph_fp[:12]}, recorded "
                        f"{variant['fingerprint'][:12]}): is {base.source} the suite's graph?"
                    )
                if progress:
                    progress(f"variant {variant['id']}: judging {len(todo)} items")
                with GoldRunner(driver) as runner:
                    for result in todo:
                        raise_if_stopped(stop)
                        item = items[result["item_id"]]
                        gold = _gold(store, runner, graph_fp, item.cypher)
                        verdict = _verdict(driver, item, result["extracted_query"] or "", gold, timeout_s, row_cap)
                        _record(store, run["id"], item.id, variant, graph_fp, verdict, len(gold))
        meta = {
            "variants": [v["id"] for v in section["variants"]],
            "seed": section["seed"],
            "elapsed_s": round(time.monotonic() - started, 1),
        }
        store.update_run(run["id"], test_suite=meta)
        return {"run_id": run["id"], **summary(store, run["id"])}
    finally:
        store.close()


def summary(store: Store, run_id: str) -> dict:
    """Execution accuracy and test-suite accuracy over the run's scored items, and what flipped."""
    scored = list(store.db.query("select item_id, outcome from results where run_id = ? and scored = 1", [run_id]))
    variant_rows = list(
        store.db.query(
            "select item_id, variant_id, outcome from variant_results where run_id = ? order by variant_id", [run_id]
        )
    )
    caught: dict[str, list[str]] = {}
    for row in variant_rows:
        if row["outcome"] != "correct":
            caught.setdefault(row["item_id"], []).append(row["variant_id"])
    correct = [r["item_id"] for r in scored if r["outcome"] == "correct"]
    flipped = sorted(i for i in correct if i in caught)
    n = len(scored)
    return {
        "n": n,
        "execution_correct": len(correct),
        "test_suite_correct": len(correct) - len(flipped),
        "execution_accuracy": len(correct) / n if n else None,
        "test_suite_accuracy": (len(correct) - len(flipped)) / n if n else None,
        "flipped": [{"item_id": i, "caught_by": caught[i]} for i in flipped],
    }


def test_suite_meta(run: dict) -> dict | None:
    return json.loads(run["test_suite"]) if run.get("test_suite") else None
