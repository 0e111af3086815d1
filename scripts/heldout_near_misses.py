"""Held-out near misses (harness/testsuite/shapes.py) judged on a suite's base graph and its variants.

    harness db up                                   # a server of your own: graphs are loaded into it
    python scripts/heldout_near_misses.py demo [--json out.json]

For each distinct gold of the test split, every filter the question names (gene, therapy, variant,
disease, effect) is ignored in five shapes the mutant generator does not write. A near miss that
returns the gold's rows on the base graph is a survivor (execution accuracy calls it correct); it
is rejected by test-suite judging when its rows differ from the gold's on at least one of the
suite's distilled variants. The base graph is loaded again at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from harness.errors import HarnessError
from harness.graph import service
from harness.graph.csv_source import read_graph_folder
from harness.graph.loader import load_graph
from harness.judge.compare import compare
from harness.judge.execute import execute_untrusted
from harness.suitegen.gold import GoldRunner
from harness.suitegen.model import open_suite
from harness.testsuite.distill import gold_valid
from harness.testsuite.guards import GUARD_INDICES
from harness.testsuite.shapes import near_misses
from harness.testsuite.suite_variants import recorded_variants
from harness.testsuite.variants import make_variant


def judge_all(driver, golds: dict, misses: list) -> list[bool]:
    """Whether each near miss matches its gold's rows on the loaded graph (True, never a rejection,
    where the gold itself is not valid there: cut at its LIMIT, an error, past the row cap)."""
    with GoldRunner(driver) as runner:
        gold_rows = {cypher: runner.rows(cypher) for cypher in golds}
    verdicts = []
    for cypher, miss in misses:
        if not gold_valid(cypher, gold_rows[cypher]):
            verdicts.append(True)
            continue
        result = execute_untrusted(driver, miss.query, timeout_s=10.0, row_cap=5000)
        ok = result.outcome is None and compare(gold_rows[cypher], result.rows or [], ordered=golds[cypher]).match
        verdicts.append(bool(ok))
    return verdicts


def measure(
    suite_name: str, extra: tuple[int, ...] = (), split: str = "test", progress=lambda m: print(m, file=sys.stderr)
) -> dict:
    suite = open_suite(suite_name)
    section = recorded_variants(suite)
    golds = {}
    for item in suite.items(split):
        golds.setdefault(item.cypher, item.ordered)
    misses = [(cypher, miss) for cypher in golds for miss in near_misses(cypher)]
    base = read_graph_folder(section.get("graph_source"))
    with service.connected() as (_, driver):
        try:
            load_graph(driver, base, replace=True)
            on_base = judge_all(driver, golds, misses)
            survivors = [i for i, ok in enumerate(on_base) if ok]
            progress(f"{len(misses)} near misses of {len(golds)} golds; {len(survivors)} survive the base graph")
            caught: set[int] = set()
            recorded = {variant["index"] for variant in section["variants"]}
            extras = [{"id": f"v{i:02d} (not recorded)", "index": i} for i in extra if i not in recorded]
            for variant in [*section["variants"], *extras]:
                load_graph(driver, make_variant(base, section["seed"], variant["index"]), replace=True)
                todo = [i for i in survivors if i not in caught]
                verdicts = judge_all(driver, golds, [misses[i] for i in todo])
                caught |= {i for i, ok in zip(todo, verdicts) if not ok}
                progress(f"variant {variant['id']}: {len(caught)} of {len(survivors)} rejected so far")
        finally:
            load_graph(driver, base, replace=True)
    by_kind, by_shape = Counter(), Counter()
    kept_kind, kept_shape = Counter(), Counter()
    left = []
    for i in survivors:
        cypher, miss = misses[i]
        by_kind[miss.kind] += 1
        by_shape[miss.shape] += 1
        if i not in caught:
            kept_kind[miss.kind] += 1
            kept_shape[miss.shape] += 1
            left.append({"kind": miss.kind, "shape": miss.shape, "value": miss.value, "gold": cypher})
    return {
        "near_misses": len(misses),
        "golds": len(golds),
        "survivors": len(survivors),
        "rejected": len(caught),
        "by_kind": {k: {"survivors": n, "rejected": n - kept_kind[k]} for k, n in sorted(by_kind.items())},
        "by_shape": {k: {"survivors": n, "rejected": n - kept_shape[k]} for k, n in sorted(by_shape.items())},
        "not_rejected": left,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite")
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument(
        "--with-guards", action="store_true", help="also judge on the filter guards the manifest does not record"
    )
    parser.add_argument(
        "--split",
        choices=("test", "train"),
        default="test",
        help="whose golds (train: golds the guards were not designed on)",
    )
    args = parser.parse_args()
    try:
        data = measure(args.suite, GUARD_INDICES if args.with_guards else (), args.split)
    except HarnessError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump(data, handle, indent=2)
    share = 100 * data["rejected"] / data["survivors"] if data["survivors"] else 100.0
    print(f"{data['rejected']} of {data['survivors']} surviving near misses rejected ({share:.1f}%)")
    for table in ("by_kind", "by_shape"):
        for key, row in data[table].items():
            print(f"  {table[3:]} {key}: {row['rejected']} of {row['survivors']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
