"""Suite lint: run every gold on the live graph and check the suite as a whole.

Hard problems (non-zero exit): a gold that errors, is non-deterministic (static signs, or
two runs that differ), returns exactly its LIMIT without a total ORDER BY (which rows come
back is then arbitrary), depends on the clock, duplicate questions, a group or gold query
split across train and test, a stored gold expectation that no longer matches the graph,
a manifest.json that disagrees with items.jsonl (count, items_sha256), and a gold that a
trivial query matches (an empty answer, or every name of one label: a guess scores it
correct). Warnings: empty
golds (reported, as an empty answer "matches" an empty answer), items without a stored
expectation, a query with no final LIMIT.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from ..cypher.scan import final_limit, totally_ordered, with_limit
from ..cypher.scan import problems as static_problems
from ..graph import service
from ..graph.fingerprint import fingerprint
from .gold import WORKERS, GoldError, expectation, run_many
from .model import MANIFEST_FILE, SuiteItem, open_suite
from .probe import TRIVIAL_QUERIES, run_untrusted_many, trivial_matches
from .wording import normalize_question

HARD = (
    "error",
    "nondeterministic",
    "exact_limit",
    "clock",
    "duplicate_question",
    "leakage",
    "stale",
    "manifest",
    "trivial",
)


@dataclass
class Problem:
    item_id: str
    family: str
    kind: str
    message: str

    @property
    def hard(self) -> bool:
        return self.kind in HARD


@dataclass
class LintReport:
    suite: str
    n_items: int
    problems: list[Problem] = field(default_factory=list)
    families: list[dict] = field(default_factory=list)
    live_fingerprint: str | None = None
    suite_fingerprint: str | None = None
    elapsed_s: float = 0.0

    @property
    def hard(self) -> list[Problem]:
        return [p for p in self.problems if p.hard]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for problem in self.problems:
            out[problem.kind] += 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict:
        return {
            "suite": self.suite,
            "n_items": self.n_items,
            "elapsed_s": round(self.elapsed_s, 2),
            "live_fingerprint": self.live_fingerprint,
            "suite_fingerprint": self.suite_fingerprint,
            "hard_problems": len(self.hard),
            "counts": self.counts(),
            "families": self.families,
            "problems": [{**vars(p), "hard": p.hard} for p in self.problems],
        }


def _gold_checks(item: SuiteItem, first, second, probes: dict, trivial: dict, add) -> list[dict] | None:
    """Per-item checks from two runs of its gold (and a LIMIT+1 probe where rows == LIMIT)."""
    for kind, message in static_problems(item.cypher):
        add(item, kind, message)
    if isinstance(first, GoldError):
        add(item, "error", f"gold query fails: {first}")
        return None
    live = expectation(first, item.cypher)
    if isinstance(second, GoldError) or expectation(second, item.cypher)["result_hash"] != live["result_hash"]:
        add(item, "nondeterministic", "two runs of the gold gave different results")
    limit = final_limit(item.cypher)
    probe = probes.get(item.cypher)
    if probe is not None and limit is not None and (isinstance(probe, GoldError) or len(probe) > limit):
        add(
            item,
            "exact_limit",
            f"returns exactly its LIMIT {limit} rows without a total ORDER BY, and more rows "
            "exist: which ones come back is arbitrary",
        )
    matched = trivial_matches(item.cypher, first, trivial)
    if matched:
        add(item, "trivial", f"a trivial query matches the gold ({', '.join(matched)}): a guess would score it correct")
    if not first:
        add(item, "empty", "gold result is empty" + (" (labelled: gold.empty)" if item.gold.get("empty") else ""))
    if not item.gold.get("result_hash"):
        add(item, "no_gold", "no stored gold expectation (import with a Neo4j running to compute one)")
    elif (item.gold.get("result_hash"), item.gold.get("row_count"), bool(item.gold.get("ordered"))) != (
        live["result_hash"],
        live["row_count"],
        live["ordered"],
    ):
        add(
            item,
            "stale",
            f"stored gold ({item.gold.get('row_count')} rows) no longer matches the graph "
            f"({live['row_count']} rows): regenerate or re-import the suite",
        )
    return first


def _probes(driver, first: dict, workers: int) -> dict:
    """For golds returning exactly LIMIT rows unordered: did LIMIT cut rows? (A one-row
    aggregate with LIMIT 1 is exact, not arbitrary.) Maps gold -> rows of LIMIT+1."""
    wanted = {}
    for cypher, rows in first.items():
        limit = final_limit(cypher)
        if isinstance(rows, list) and limit is not None and len(rows) == limit and not totally_ordered(cypher):
            wanted[cypher] = with_limit(cypher, limit + 1)
    results = run_many(driver, wanted.values(), workers)
    return {cypher: results[probe] for cypher, probe in wanted.items()}


def _suite_checks(items: list[SuiteItem], add) -> None:
    first_question: dict[str, SuiteItem] = {}
    group_split: dict[str, SuiteItem] = {}
    cypher_split: dict[str, SuiteItem] = {}
    by_id = {item.id: item for item in items}
    for item in items:
        key = normalize_question(item.question)
        if key in first_question:
            add(item, "duplicate_question", f"same question as {first_question[key].id}")
        else:
            first_question[key] = item
        first = group_split.setdefault(item.group_id, item)
        if first.split != item.split:
            add(item, "leakage", f"group {item.group_id} is in {first.split} ({first.id}) and {item.split}")
        parent = by_id.get(item.paraphrase_of or "")
        if parent is not None and parent.split != item.split:
            add(item, "leakage", f"paraphrase of {parent.id} ({parent.split}) but in {item.split}")
        norm = " ".join(item.cypher.split())
        other = cypher_split.setdefault(norm, item)
        if other.split != item.split and other.group_id != item.group_id:
            add(item, "leakage", f"same gold query as {other.id} in {other.split} (another group)")


def lint_items(
    items: list[SuiteItem], driver, *, suite: str = "", suite_fingerprint: str | None = None, workers: int = WORKERS
) -> LintReport:
    started = time.monotonic()
    report = LintReport(suite=suite, n_items=len(items), suite_fingerprint=suite_fingerprint)

    def add(item: SuiteItem, kind: str, message: str) -> None:
        report.problems.append(Problem(item.id, item.family, kind, message))

    _suite_checks(items, add)
    stats: dict[str, dict] = defaultdict(lambda: {"items": 0, "empty": 0, "rows": 0, "ran": 0})
    queries = [item.cypher for item in items]
    first = run_many(driver, queries, workers)
    second = run_many(driver, queries, workers)
    probes = _probes(driver, first, workers)
    trivial = run_untrusted_many(driver, TRIVIAL_QUERIES.values(), workers)
    for item in items:
        rows = _gold_checks(item, first[item.cypher], second[item.cypher], probes, trivial, add)
        entry = stats[item.family]
        entry["items"] += 1
        if rows is not None:
            entry["ran"] += 1
            entry["rows"] += len(rows)
            entry["empty"] += not rows
    report.live_fingerprint = fingerprint(driver)
    hard: defaultdict[str, int] = defaultdict(int)
    for problem in report.hard:
        hard[problem.family] += 1
    report.families = [
        {
            "family": f,
            "items": s["items"],
            "empty_golds": s["empty"],
            "mean_gold_rows": round(s["rows"] / s["ran"], 1) if s["ran"] else None,
            "hard_problems": hard[f],
        }
        for f, s in sorted(stats.items())
    ]
    report.elapsed_s = time.monotonic() - started
    return report


def lint_suite(name_or_path: str, backend: str | None = None) -> LintReport:
    """Lint a suite against the current Neo4j (NEO4J_URI or the server `harness db up` started)."""
    suite = open_suite(name_or_path)
    items = list(suite.items(split=None))
    with service.connected(backend) as (_, driver):
        report = lint_items(items, driver, suite=suite.name, suite_fingerprint=suite.manifest.get("graph_fingerprint"))
    mismatch = suite.manifest_mismatch()
    if mismatch:
        report.problems.insert(0, Problem(MANIFEST_FILE, "-", "manifest", mismatch))
    return report
