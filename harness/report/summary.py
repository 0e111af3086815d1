"""Per-run summaries and paired comparisons: the numbers behind every report table.

Every headline rate is over all scored items of a run (docs/ARCHITECTURE.md, "Rates"). Infra outcomes
(infra_model, infra_db, harness_error) are counted and shown but never enter a rate: an item
the model was never fairly asked is neither right nor wrong.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

from ..errors import HarnessError
from ..store import Store
from ..store.aggregates import Usage, item_groups, run_usage
from ..store.records import RunRecord
from ..suitegen.model import open_suite
from ..verdict import INFRA, Outcome
from . import queries
from .clustered import ClusteredDifference, ClusteredRate, clustered_rate, paired_difference
from .stats import holm, mcnemar_exact, median, percentile, wilson


@dataclass
class Rate:
    """k of n, with its percentage, its 95% Wilson interval over items and its 95% clustered
    interval over the items' groups (in percent; report/clustered.py says how)."""

    k: int = 0
    n: int = 0
    # (cluster, success) per item added; an item added without a cluster is its own cluster
    outcomes: list = field(default_factory=list, repr=False)

    @property
    def pct(self) -> float | None:
        return 100 * self.k / self.n if self.n else None

    @property
    def ci(self) -> tuple[float, float] | None:
        bounds = wilson(self.k, self.n)
        return (100 * bounds[0], 100 * bounds[1]) if bounds else None

    @cached_property
    def clustered(self) -> ClusteredRate | None:
        """Computed once, after the last `add` (reports read it when every item is in)."""
        return clustered_rate(self.outcomes)

    @property
    def cluster_ci(self) -> tuple[float, float] | None:
        rate = self.clustered
        return (100 * rate.low, 100 * rate.high) if rate else None

    def add(self, success: bool, cluster: object = None) -> None:
        self.outcomes.append((("item", self.n) if cluster is None else cluster, bool(success)))
        self.n += 1
        self.k += bool(success)


@dataclass
class RunSummary:
    run: RunRecord
    label: str
    syntax: Rate = field(default_factory=Rate)
    execution: Rate = field(default_factory=Rate)
    accuracy: Rate = field(default_factory=Rate)
    strict: Rate = field(default_factory=Rate)
    exec_given_syntax: Rate = field(default_factory=Rate)
    accuracy_given_exec: Rate = field(default_factory=Rate)
    families: dict[str, Rate] = field(default_factory=dict)
    outcomes: Counter = field(default_factory=Counter)
    f1_mean: float | None = None
    latency_median_ms: float | None = None
    latency_p95_ms: float | None = None
    tokens_per_s: float | None = None
    # item id -> (outcome, family_id) for every recorded item; scored ones feed paired tests.
    items: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # item id -> its group (the cluster of clustered intervals); an item not listed is its own cluster
    groups: dict[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)  # what the run's stored generations consumed (cost table)

    def cluster_of(self, item_id: str) -> object:
        group = self.groups.get(item_id)
        return ("group", group) if group else ("item", item_id)

    @property
    def n_scored(self) -> int:
        return self.accuracy.n

    @property
    def infra(self) -> dict[str, int]:
        """Counts of every unscored outcome: the three infra outcomes, and any unknown one (never hidden)."""
        counts = {outcome.value: self.outcomes.get(outcome.value, 0) for outcome in INFRA}
        counts.update({o: n for o, n in self.outcomes.items() if not Outcome.is_scored(o) and o not in counts})
        return counts

    @property
    def n_infra(self) -> int:
        return sum(self.infra.values())

    @property
    def n_recorded(self) -> int:
        return self.n_scored + self.n_infra

    @property
    def infra_rate(self) -> float:
        return self.n_infra / self.n_recorded if self.n_recorded else 0.0

    @property
    def pending(self) -> int | None:
        """Planned items with no verdict yet (an interrupted or running run), if known."""
        planned = self.run.n_planned
        return max(0, planned - self.n_recorded) if planned is not None else None

    def scored_correct(self) -> dict[str, bool]:
        return {item: outcome == "correct" for item, (outcome, _) in self.items.items() if Outcome.is_scored(outcome)}


def summarize(store: Store, run: RunRecord, label: str | None = None) -> RunSummary:
    summary = RunSummary(
        run=run, label=label or run.model, groups=groups_of(store, run), usage=run_usage(store, run.id)
    )
    f1_total, latencies, tokens, token_ms = 0.0, [], 0, 0.0
    for row in queries.items(store, run.id):
        outcome = row.outcome
        summary.outcomes[outcome] += 1
        summary.items[row.item_id] = (outcome, row.family_id)
        if not Outcome.is_scored(outcome):
            continue
        syntax_ok, exec_ok, correct = bool(row.syntax_ok), bool(row.exec_ok), outcome == "correct"
        cluster = summary.cluster_of(row.item_id)
        summary.syntax.add(syntax_ok, cluster)
        summary.execution.add(exec_ok, cluster)
        summary.accuracy.add(correct, cluster)
        summary.strict.add(bool(row.strict_match), cluster)
        if syntax_ok:
            summary.exec_given_syntax.add(exec_ok, cluster)
        if exec_ok:
            summary.accuracy_given_exec.add(correct, cluster)
        summary.families.setdefault(row.family_id or "?", Rate()).add(correct, cluster)
        f1_total += row.f1 or 0.0  # a query that never produced rows earns no partial credit
        if row.gen_ms is not None:
            latencies.append(row.gen_ms)
            if row.output_tokens is not None:
                tokens += row.output_tokens
                token_ms += row.gen_ms
    if summary.n_scored:
        summary.f1_mean = f1_total / summary.n_scored
    summary.latency_median_ms = median(latencies)
    summary.latency_p95_ms = percentile(latencies, 95)
    if token_ms > 0 and tokens > 0:
        summary.tokens_per_s = tokens / (token_ms / 1000)
    return summary


def groups_of(store: Store, run: RunRecord) -> dict[str, str]:
    """Each item's group as recorded with its verdict; for runs recorded before groups were stored,
    the groups of the run's suite file if it is still there unchanged; else none (items stand alone)."""
    groups = item_groups(store, run.id)
    if groups or not run.suite_path:
        return groups
    try:
        suite = open_suite(run.suite_path)
        if suite.content_hash() != run.suite_hash:
            return {}
        return {item.id: item.group_id for item in suite.items(None) if item.group_id}
    except (HarnessError, OSError, ValueError):
        return {}


def labels_for(runs: list[RunRecord]) -> list[str]:
    """The model name, made unique with the run's start time when a model appears twice."""
    counts = Counter(run.model for run in runs)
    return [run.model if counts[run.model] == 1 else f"{run.model}@{run.id[:15]}" for run in runs]


def summarize_runs(store: Store, runs: list[RunRecord]) -> list[RunSummary]:
    return [summarize(store, run, label) for run, label in zip(runs, labels_for(runs))]


@dataclass
class Paired:
    """A and B on the items both scored: concordant and discordant counts, exact McNemar p."""

    a: str
    b: str
    n_shared: int
    both: int
    only_a: int
    only_b: int
    neither: int
    p_value: float
    suites_differ: bool = False
    clustered: ClusteredDifference | None = None  # B - A with items of one group kept together
    # Holm-adjusted over every pair of the report (set when it compares three or more runs)
    p_holm: float | None = None
    clustered_p_holm: float | None = None

    @property
    def acc_a(self) -> float | None:
        return 100 * (self.both + self.only_a) / self.n_shared if self.n_shared else None

    @property
    def acc_b(self) -> float | None:
        return 100 * (self.both + self.only_b) / self.n_shared if self.n_shared else None

    @property
    def delta_points(self) -> float | None:
        """B's accuracy minus A's, in percentage points, on the shared items."""
        a, b = self.acc_a, self.acc_b
        return b - a if a is not None and b is not None else None


def paired_counts(
    a: dict[str, bool], b: dict[str, bool], label_a: str = "A", label_b: str = "B", suites_differ: bool = False
) -> Paired:
    shared = a.keys() & b.keys()
    both = sum(1 for item in shared if a[item] and b[item])
    only_a = sum(1 for item in shared if a[item] and not b[item])
    only_b = sum(1 for item in shared if b[item] and not a[item])
    return Paired(
        label_a,
        label_b,
        len(shared),
        both,
        only_a,
        only_b,
        len(shared) - both - only_a - only_b,
        mcnemar_exact(only_a, only_b),
        suites_differ,
    )


def paired(a: RunSummary, b: RunSummary) -> Paired:
    correct_a, correct_b = a.scored_correct(), b.scored_correct()
    pair = paired_counts(correct_a, correct_b, a.label, b.label, a.run.suite_hash != b.run.suite_hash)
    # an item is clustered with its group in either run (the same suite gives both the same groups)
    clusters = {item: a.cluster_of(item) if item in a.groups else b.cluster_of(item) for item in correct_a}
    pair.clustered = paired_difference(correct_a, correct_b, clusters)
    return pair


def all_pairs(summaries: list[RunSummary]) -> list[Paired]:
    """Every pair; with more than one pair, both p-values are also Holm-adjusted over all of them."""
    pairs = [paired(a, b) for a, b in combinations(summaries, 2)]
    if len(pairs) > 1:
        for pair, adjusted in zip(pairs, holm([pair.p_value for pair in pairs])):
            pair.p_holm = adjusted
        for pair, adjusted in zip(pairs, holm([pair.clustered.p_value if pair.clustered else 1.0 for pair in pairs])):
            pair.clustered_p_holm = adjusted
    return pairs
