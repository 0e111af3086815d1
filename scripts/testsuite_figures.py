"""Figures for the README's test-suite section, from `harness suite distill demo --json` output.

Usage: .venv/bin/python scripts/testsuite_figures.py distill.json   (with the base graph loaded
in the current Neo4j: mutants are regenerated, deterministically, to name each survivor's rule)
       .venv/bin/python scripts/testsuite_figures.py --share SUITE_FOLDER   (discriminating share)
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

from harness.cypher.mutants import mutants
from harness.graph import service
from harness.suitegen.gold import GoldRunner
from harness.suitegen.probe import vocabulary


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
        f"({result['kill_rate']:.1%}); shown equivalent {result['equivalent']} {result['equivalent_by_rule']}; "
        f"remaining {len(remaining)}; kill rate without the equivalent {result['kill_rate_non_equivalent']:.1%}"
    )
    by_rule = Counter(rule_of.get(pair, ("?", ""))[0] for pair in remaining)
    print("remaining by rule:", dict(by_rule.most_common()))
    rng = random.Random(0)
    for gold, mutant in rng.sample(remaining, min(12, len(remaining))):
        rule, detail = rule_of.get((gold, mutant), ("?", ""))
        print(f"--- {rule}: {detail}\n{mutant}")


def share(folder: str) -> None:
    """Share of test items whose every stated filter changes the answer (the audit's rule, without
    the trivial-query and empty checks), per template, on the loaded graph."""
    from harness.suitegen.discriminating import filters_matter
    from harness.suitegen.model import open_suite

    items = list(open_suite(folder).items(split="test"))
    with service.connected() as (_, driver), GoldRunner(driver) as runner:
        verdict = {c: filters_matter(runner, c, runner.rows(c)) for c in {i.cypher for i in items}}
    per_template = Counter(i.template_id for i in items)
    good = Counter(i.template_id for i in items if verdict[i.cypher])
    print(f"{folder}: {sum(good.values())}/{len(items)} test items ({sum(good.values()) / len(items):.1%})")
    for template in sorted(per_template):
        if good[template] < per_template[template]:
            print(f"  {template}: {good[template]}/{per_template[template]}")


if __name__ == "__main__":
    share(sys.argv[2]) if sys.argv[1] == "--share" else main(sys.argv[1])
