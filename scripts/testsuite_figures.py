"""Figures for the README's test-suite section, from `harness suite distill demo --json` output.

Usage: .venv/bin/python scripts/testsuite_figures.py distill.json   (with the base graph loaded
in the current Neo4j: mutants are regenerated, deterministically, to name each survivor's rule)
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

from harness.graph import service
from harness.suitegen.gold import GoldRunner
from harness.testsuite.mutants import mutants
from harness.testsuite.probe import vocabulary


def main(path: str) -> None:
    result = json.loads(Path(path).read_text())
    remaining = [tuple(pair) for pair in result["remaining"]]
    rule_of = {}
    with service.connected() as (_, driver), GoldRunner(driver) as runner:
        vocab = vocabulary(driver)
        for gold in {g for g, _ in remaining}:
            for mutant in mutants(gold, vocab, row_count=len(runner.rows(gold))):
                rule_of[(gold, mutant.cypher)] = (mutant.rule, mutant.detail)
    audit = result["audit"]["totals"]
    print(
        f"items {audit['items']}, distinct golds {audit['distinct_golds']}, accepted mutants {audit['mutants']} "
        f"({audit['mutants'] / audit['distinct_golds']:.1f} per gold), survivors on the base graph {audit['survivors']}"
    )
    print(
        f"chosen variants {[v['id'] for v in result['variants']]}; killed {result['killed']} of {result['survivors']} "
        f"({result['kill_rate']:.1%}); remaining {len(remaining)}"
    )
    by_rule = Counter(rule_of.get(pair, ("?", ""))[0] for pair in remaining)
    print("remaining by rule:", dict(by_rule.most_common()))
    rng = random.Random(0)
    for gold, mutant in rng.sample(remaining, min(12, len(remaining))):
        rule, detail = rule_of.get((gold, mutant), ("?", ""))
        print(f"--- {rule}: {detail}\n{mutant}")


if __name__ == "__main__":
    main(sys.argv[1])
