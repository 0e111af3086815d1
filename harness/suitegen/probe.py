"""Running gold queries and their mutants on one graph, and telling which mutants survive.

A mutant "survives" on a graph when it runs and its rows match the gold's rows there by the
judge's own comparison: execution accuracy on that graph would call it correct. Mutants
go through the judge's safe executor (READ transaction, timeout, row cap); one the server
refuses (syntax, semantics, a write) is simply not a candidate.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..cypher.build import disease_tokens
from ..cypher.mutants import Mutant, Vocabulary
from ..cypher.scan import totally_ordered
from ..judge.compare import compare
from ..judge.execute import execute_untrusted
from ..judge.limits import DEFAULT_LIMITS
from .gold import GoldError, run_many

WORKERS = 4
ROW_CAP = DEFAULT_LIMITS.row_cap  # a gold above the cap a model's query gets cannot be matched

# Queries any model could write without reading the question: an empty answer, or every
# name of one label. A gold such a query matches cannot tell a model from a guess.
TRIVIAL_QUERIES = {
    "empty": "RETURN 1 AS nothing LIMIT 0",
    "all genes": "MATCH (n:Gene) RETURN DISTINCT n.symbol AS name",
    "all variants": "MATCH (n:Variant) RETURN DISTINCT n.name AS name",
    "all therapies": "MATCH (n:Therapy) RETURN DISTINCT n.name AS name",
    "all diseases": "MATCH (n:Disease) RETURN DISTINCT n.name AS name",
    "all biomarkers": "MATCH (n:Biomarker) RETURN DISTINCT coalesce(n.name, n.symbol) AS name",
}


def vocabulary(driver, *, per_literal: int = 2, seed: int = 0) -> Vocabulary:
    """Names per label, effect values and disease-name tokens of the loaded graph, sorted."""
    queries = {
        "Gene": "MATCH (n:Gene) RETURN n.symbol AS v",
        "Variant": "MATCH (n:Variant) RETURN n.name AS v",
        "Therapy": "MATCH (n:Therapy) RETURN n.name AS v",
        "Disease": "MATCH (n:Disease) RETURN n.name AS v",
        "effect": "MATCH ()-[r:AFFECTS_RESPONSE_TO]->() RETURN DISTINCT toLower(r.effect) AS v",
    }
    names = {}
    with driver.session(default_access_mode="READ") as session:
        for kind, query in queries.items():
            names[kind] = sorted({r["v"] for r in session.run(query) if r["v"]})
    names["disease_token"] = sorted({t for d in names["Disease"] for t in disease_tokens(d)})
    return Vocabulary(names, per_literal=per_literal, seed=seed)


@dataclass
class Probe:
    """One query's rows on one graph, or why it has none."""

    rows: list[dict] | None
    error: str | None = None
    outcome: str | None = None

    @property
    def accepted(self) -> bool:
        """The server parsed and planned it as a read-only query."""
        return self.outcome not in ("syntax_error", "forbidden")


def run_untrusted_many(driver, queries, workers: int = WORKERS) -> dict[str, Probe]:
    """Each distinct query through the safe executor, spread over a few threads."""

    def run(query: str) -> tuple[str, Probe]:
        # No separate EXPLAIN: these are rewrites of trusted golds, the server still parses and plans
        # each one when it runs it, and the READ transaction refuses any write. Half the planning.
        result = execute_untrusted(driver, query, timeout_s=DEFAULT_LIMITS.timeout_s, row_cap=ROW_CAP, explain=False)
        if result.outcome is None:
            return query, Probe(result.rows)
        return query, Probe(None, result.error, result.outcome)

    distinct = list(dict.fromkeys(queries))
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="probe") as pool:
        return dict(pool.map(run, distinct))


def gold_rows(driver, queries, workers: int = WORKERS) -> dict[str, list[dict] | GoldError]:
    return run_many(driver, queries, workers)


def same_answer(gold_cypher: str, gold: list[dict], rows: list[dict] | None) -> bool:
    return rows is not None and compare(gold, rows, ordered=totally_ordered(gold_cypher)).match


def survivors(gold_cypher: str, gold: list[dict], candidates: list[Mutant], probes: dict[str, Probe]) -> list[Mutant]:
    """The mutants whose rows match the gold's on the graph the probes ran on."""
    return [m for m in candidates if same_answer(gold_cypher, gold, probes[m.cypher].rows)]


def trivial_matches(gold_cypher: str, gold: list[dict], trivial: dict[str, Probe]) -> list[str]:
    return [name for name, query in TRIVIAL_QUERIES.items() if same_answer(gold_cypher, gold, trivial[query].rows)]
