"""The test-suite stage of a run: its base-correct items judged again on each distilled variant.

An item is correct on the test suite only if it is correct on the base graph and its rows
match the gold's on every variant. Only items correct on the base graph can change, so
only they are judged again: the stored extracted query (the model is never called again)
goes through the same `judge_item` and `judge_output` as on the base graph, under the
run's `Limits`, against gold rows cached by the variant's fingerprint in the same gold
cache. Each (item, variant) verdict is committed as soon as it is known, so an interrupted
judging resumes where it stopped; the base graph is restored however it ends (see
`testsuite.server`).
"""

from __future__ import annotations

import time

from ..adapters.base import Generation
from ..errors import HarnessError
from ..graph.csv_source import read_graph_folder
from ..graph.fingerprint import fingerprint
from ..graph.loader import load_graph
from ..interrupts import deferred_sigint, raise_if_stopped
from ..judge.limits import Limits
from ..store import Store
from ..store.records import TestSuiteFigures
from ..suitegen.model import open_suite
from ..testsuite.server import variant_server
from ..testsuite.suite_variants import recorded_variants
from ..testsuite.variants import make_variant
from .gold_memo import GoldMemo
from .pipeline import judge_item


def judge_on_variants(
    store: Store,
    run_id: str,
    limits: Limits,
    *,
    graph: str | None = None,
    server: str = "scratch",
    backend: str | None = None,
    progress=None,
) -> TestSuiteFigures:
    """Judge run `run_id`'s base-correct items on every variant its suite records."""
    run = store.get_run(run_id)
    suite = open_suite(run.suite_path or run.suite or "")
    section = recorded_variants(suite)
    if run.graph_fingerprint and run.graph_fingerprint != section["base_fingerprint"]:
        raise HarnessError(f"run {run.id} was judged on another graph than suite {suite.name!r}'s base graph")
    base = read_graph_folder(graph or section.get("graph_source"))
    items = {item.id: item for item in suite.items(split=run.split or "test")}
    correct = [r for r in store.results(run.id) if r["outcome"] == "correct" and r["item_id"] in items]
    done = store.judged_on_variants(run.id)
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
            memo = GoldMemo()
            for result in todo:
                raise_if_stopped(stop)
                item = items[result["item_id"]]
                gold = store.gold_get(graph_fp, item.cypher)
                generation = Generation(output=result["extracted_query"] or "")
                verdict, fresh = judge_item(driver, item, generation, gold, limits, memo)
                fresh_gold = None if fresh is None else {"fingerprint": graph_fp, "cypher": item.cypher, **fresh}
                store.record_variant_verdict(run.id, item.id, variant["id"], graph_fp, verdict, fresh_gold)
    meta = {
        "variants": [v["id"] for v in section["variants"]],
        "seed": section["seed"],
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    store.update_run(run.id, test_suite=meta)
    figures = store.test_suite_figures(run.id)
    assert figures is not None  # the meta was just written
    return figures
