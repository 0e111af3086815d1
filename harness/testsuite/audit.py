"""Item audit: how well each gold tells a right query from a near miss on the base graph.

Per item: the accepted mutants of its gold, the survivors (mutants whose rows equal the
gold's, so execution accuracy would accept them), whether the gold is empty, and which
trivial query matches it. An item is *discriminating* when its gold is not empty, no
trivial query matches it, and dropping any one WHERE conjunct (other than a null guard after
an OPTIONAL MATCH) changes its answer: every filter the question states is then one a model
must honour. Golds are shared by a
question's paraphrases, so each distinct gold is audited once.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from ..cypher.mutants import Mutant, drops_a_filter, mutants
from ..graph import service
from ..suitegen.gold import GoldError
from ..suitegen.model import SuiteItem, open_suite
from ..suitegen.probe import (
    TRIVIAL_QUERIES,
    WORKERS,
    gold_rows,
    run_untrusted_many,
    survivors,
    trivial_matches,
    vocabulary,
)


@dataclass
class GoldAudit:
    cypher: str
    rows: list[dict] | None
    error: str | None = None
    mutants: list[Mutant] = field(default_factory=list)  # accepted by the server
    survivors: list[Mutant] = field(default_factory=list)
    trivial: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.rows is not None and not self.rows

    @property
    def discriminating(self) -> bool:
        return bool(self.rows) and not self.trivial and not any(drops_a_filter(m) for m in self.survivors)


@dataclass
class AuditReport:
    suite: str
    items: list[SuiteItem]
    golds: dict[str, GoldAudit]
    elapsed_s: float = 0.0

    def item_rows(self) -> list[dict]:
        out = []
        for item in self.items:
            gold = self.golds[item.cypher]
            out.append(
                {
                    "id": item.id,
                    "template": item.template_id,
                    "mutants": len(gold.mutants),
                    "survivors": len(gold.survivors),
                    "surviving_rules": sorted({m.rule for m in gold.survivors}),
                    "empty_gold": gold.empty,
                    "trivial_match": gold.trivial,
                    "discriminating": gold.discriminating,
                    "error": gold.error,
                }
            )
        return out

    def template_rows(self) -> list[dict]:
        stats: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0])
        for row in self.item_rows():
            entry = stats[row["template"]]
            entry[0] += 1
            entry[1] += row["discriminating"]
            entry[2] += row["survivors"]
            entry[3] += bool(row["trivial_match"])
        return [
            {
                "template": name,
                "items": n,
                "discriminating": d,
                "discriminating_share": round(d / n, 3) if n else None,
                "mean_survivors": round(s / n, 2) if n else None,
                "trivial_matches": t,
            }
            for name, (n, d, s, t) in sorted(stats.items())
        ]

    def totals(self) -> dict:
        rows = self.item_rows()
        golds = list(self.golds.values())
        return {
            "items": len(rows),
            "distinct_golds": len(golds),
            "mutants": sum(len(g.mutants) for g in golds),
            "survivors": sum(len(g.survivors) for g in golds),
            "discriminating_items": sum(r["discriminating"] for r in rows),
            "trivial_match_items": sum(bool(r["trivial_match"]) for r in rows),
            "empty_gold_items": sum(r["empty_gold"] for r in rows),
        }

    def to_dict(self, survivors: bool = True) -> dict:
        items = self.item_rows()
        if survivors:
            for row, item in zip(items, self.items):
                row["survivor_mutants"] = [vars(m) for m in self.golds[item.cypher].survivors]
        return {
            "suite": self.suite,
            "elapsed_s": round(self.elapsed_s, 2),
            "totals": self.totals(),
            "templates": self.template_rows(),
            "items": items,
        }


def audit_golds(
    driver, queries, *, workers: int = WORKERS, per_literal: int = 2, seed: int = 0
) -> dict[str, GoldAudit]:
    """Audit each distinct gold query on the loaded graph."""
    distinct = list(dict.fromkeys(queries))
    vocab = vocabulary(driver, per_literal=per_literal, seed=seed)
    golds = gold_rows(driver, distinct, workers)
    trivial = run_untrusted_many(driver, TRIVIAL_QUERIES.values(), workers)
    candidates: dict[str, list[Mutant]] = {}
    out: dict[str, GoldAudit] = {}
    for cypher in distinct:
        rows = golds[cypher]
        if isinstance(rows, GoldError):
            out[cypher] = GoldAudit(cypher, None, error=str(rows))
            continue
        out[cypher] = GoldAudit(cypher, rows, trivial=trivial_matches(cypher, rows, trivial))
        candidates[cypher] = mutants(cypher, vocab, row_count=len(rows))
    probes = run_untrusted_many(driver, [m.cypher for ms in candidates.values() for m in ms], workers)
    for cypher, ms in candidates.items():
        audit = out[cypher]
        # without its ORDER BY a query's row order is the server's storage order: which rows of an
        # ordered gold it matches then changes with every reload, so it is not judged
        audit.mutants = [m for m in ms if probes[m.cypher].accepted and m.detail != "ORDER BY dropped"]
        audit.survivors = survivors(cypher, audit.rows or [], audit.mutants, probes)
    return out


def audit_items(items: list[SuiteItem], driver, *, suite: str = "", workers: int = WORKERS) -> AuditReport:
    started = time.monotonic()
    golds = audit_golds(driver, [item.cypher for item in items], workers=workers)
    return AuditReport(suite, items, golds, time.monotonic() - started)


def audit_suite(name_or_path: str, split: str | None = None, backend: str | None = None) -> AuditReport:
    """Audit a suite against the current Neo4j (NEO4J_URI or the server `harness db up` started)."""
    suite = open_suite(name_or_path)
    items = list(suite.items(split=split))
    with service.connected(backend) as (_, driver):
        return audit_items(items, driver, suite=suite.name)
