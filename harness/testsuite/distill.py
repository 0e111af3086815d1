"""Greedy distillation: a handful of graph variants that kill as many surviving mutants as possible.

Candidates are variants 0..N-1 of a seed. Each is loaded in turn into a server that holds
nothing else (a scratch server, never the user's), every gold is run there and must stay
valid (no error, at most the judge's row cap, not cut at its LIMIT) and each mutant that survived on the base
graph is killed on the variant when its rows differ from the gold's there. Then, like
set cover, the variant that kills the most survivors still alive is taken, ties to the
lower index, until `max_variants` are taken or none kills more. Same graph, suite and seed:
same variants, same choice. Survivors that `equivalence` shows no graph can kill are counted
apart, and the kill rate is also given without them.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from ..cypher.scan import final_limit, totally_ordered
from ..graph.csv_source import GraphData
from ..graph.fingerprint import fingerprint
from ..graph.loader import load_graph
from ..suitegen.gold import GoldError
from ..suitegen.probe import ROW_CAP, WORKERS, gold_rows, run_untrusted_many, same_answer
from .audit import GoldAudit
from .equivalence import equivalence
from .variants import make_variant

VERSION = "2"  # 2: aimed families (variant i of family i mod 12, variants.FAMILY_ORDER); LIMIT-cut golds invalid


@dataclass
class Candidate:
    index: int
    fingerprint: str
    golds_valid: bool
    invalid: list[str] = field(default_factory=list)
    kills: set[tuple[str, str]] = field(default_factory=set)  # (gold cypher, mutant cypher)

    @property
    def id(self) -> str:
        return f"v{self.index:02d}"


def gold_valid(cypher: str, rows) -> bool:
    """A gold still asks a well-posed question on a variant: it runs, stays under the row cap,
    and, unless totally ordered, returns fewer rows than its final LIMIT (at the LIMIT, which
    rows come back would be the server's arbitrary choice, as `suite lint`'s exact_limit says)."""
    if isinstance(rows, GoldError) or len(rows) > ROW_CAP:
        return False
    limit = final_limit(cypher)
    return limit is None or totally_ordered(cypher) or len(rows) < limit


def evaluate_variant(
    driver, data: GraphData, index: int, golds: dict[str, GoldAudit], workers: int = WORKERS
) -> Candidate:
    """Load `data` (replacing whatever the server holds) and find which base survivors it kills."""
    load_graph(driver, data, replace=True)
    candidate = Candidate(index, fingerprint(driver), True)
    rows = gold_rows(driver, list(golds), workers)
    for cypher, result in rows.items():
        if not gold_valid(cypher, result):
            candidate.golds_valid = False
            candidate.invalid.append(cypher)
    if not candidate.golds_valid:
        return candidate
    probes = run_untrusted_many(driver, [m.cypher for g in golds.values() for m in g.survivors], workers)
    for cypher, audit in golds.items():
        for mutant in audit.survivors:
            gold = rows[cypher]
            if isinstance(gold, list) and not same_answer(cypher, gold, probes[mutant.cypher].rows):
                candidate.kills.add((cypher, mutant.cypher))
    return candidate


def equivalents(golds: dict[str, GoldAudit]) -> dict[tuple[str, str], tuple[str, str]]:
    """(gold, mutant) -> (rule, reason) for the survivors a rule shows equivalent on every loadable graph."""
    out = {}
    for cypher, audit in golds.items():
        for mutant in audit.survivors:
            shown = equivalence(cypher, mutant)
            if shown:
                out[(cypher, mutant.cypher)] = shown
    return out


def greedy(candidates: list[Candidate], max_variants: int) -> list[Candidate]:
    alive = set().union(*(c.kills for c in candidates)) if candidates else set()
    chosen: list[Candidate] = []
    pool = [c for c in candidates if c.golds_valid]
    while pool and len(chosen) < max_variants:
        best = max(pool, key=lambda c: (len(c.kills & alive), -c.index))
        if not best.kills & alive:
            break
        chosen.append(best)
        alive -= best.kills
        pool.remove(best)
    return chosen


def distill(
    driver,
    base: GraphData,
    golds: dict[str, GoldAudit],
    *,
    seed: int = 0,
    candidates: int = 24,
    max_variants: int = 8,
    progress=None,
) -> dict:
    """Evaluate candidates 0..candidates-1 on `driver`'s server and choose greedily.

    The server ends up holding the last candidate: callers pass a scratch server."""
    started = time.monotonic()
    evaluated = []
    for index in range(candidates):
        candidate = evaluate_variant(driver, make_variant(base, seed, index), index, golds)
        evaluated.append(candidate)
        if progress:
            progress(f"variant {candidate.id}: kills {len(candidate.kills)}, golds valid: {candidate.golds_valid}")
    chosen = greedy(evaluated, max_variants)
    survivors = {(cypher, m.cypher) for cypher, audit in golds.items() for m in audit.survivors}
    killed = set().union(*(c.kills for c in chosen)) if chosen else set()
    equivalent = equivalents(golds)
    left = survivors - killed - set(equivalent)
    return {
        "seed": seed,
        "candidates": [
            {
                "id": c.id,
                "index": c.index,
                "fingerprint": c.fingerprint,
                "kills": len(c.kills),
                "golds_valid": c.golds_valid,
                "chosen": c in chosen,
            }
            for c in evaluated
        ],
        "variants": [{"id": c.id, "index": c.index, "fingerprint": c.fingerprint} for c in chosen],
        "survivors": len(survivors),
        "killed": len(killed),
        "kill_rate": len(killed) / len(survivors) if survivors else 1.0,
        "equivalent": len(equivalent),
        "equivalent_by_rule": dict(Counter(rule for rule, _ in equivalent.values()).most_common()),
        "kill_rate_non_equivalent": len(killed - set(equivalent)) / (len(survivors) - len(equivalent))
        if len(survivors) > len(equivalent)
        else 1.0,
        "remaining": sorted(left),
        "equivalent_mutants": [
            {"gold": gold, "mutant": mutant, "rule": rule, "reason": reason}
            for (gold, mutant), (rule, reason) in sorted(equivalent.items())
        ],
        "elapsed_s": round(time.monotonic() - started, 1),
    }
