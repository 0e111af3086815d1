"""Typed records the store reads back (never dict rows): runs, verdicts, and the test-suite figures.

A `RunRecord` is one row of `runs` with its JSON columns parsed once, here. A run's test-suite figures are computed from two reads, its scored base verdicts and its
verdicts on each graph variant: the runner prints them, the report tabulates them, and
both get them from `Store.test_suite_figures`, so the rule "correct on the base graph and
on every variant" is written once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any


def parse_json(text: Any, default: Any = None) -> Any:
    """A JSON column's value; `default` for NULL or text that is not JSON."""
    if text is None or text == "":
        return default
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return default


@dataclass(frozen=True)
class RunRecord:
    """One run as stored: what was evaluated, on which graph, by which process, how it ended."""

    id: str
    model: str
    status: str
    suite: str | None = None
    suite_path: str | None = None
    suite_hash: str | None = None
    split: str | None = None
    graph_fingerprint: str | None = None
    fingerprint_after: str | None = None
    neo4j_version: str | None = None
    harness_version: str | None = None
    git_commit: str | None = None
    host: str | None = None
    options_key: str | None = None
    options: dict = field(default_factory=dict)  # selection, limits and extra options of the run
    model_spec: dict = field(default_factory=dict)  # name, adapter, options, description
    adapter_info: dict = field(default_factory=dict)
    n_planned: int | None = None
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    imported_from: dict | None = None  # source file, hash and format of a run judged from recorded rows
    test_suite: dict | None = None  # variants, seed and time of a run judged on graph variants
    owner_host: str | None = None
    owner_pid: int | None = None
    owner_started: str | None = None
    heartbeat_at: str | None = None
    merged_from: list | None = None  # the shard runs `harness results merge` made this run of

    @classmethod
    def from_row(cls, row: dict) -> RunRecord:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in row.items() if k in known}
        for name in ("options", "model_spec", "adapter_info"):
            parsed = parse_json(values.get(name), {})
            values[name] = parsed if isinstance(parsed, dict) else {}
        for name in ("imported_from", "test_suite", "merged_from"):
            values[name] = parse_json(values.get(name)) or None
        return cls(**values)


@dataclass(frozen=True)
class ResultRecord:
    """One item's stored verdict, without raw output, warnings or detail (what report tables need)."""

    item_id: str
    outcome: str
    scored: bool
    family_id: str | None = None
    template_id: str | None = None
    syntax_ok: bool | None = None
    exec_ok: bool | None = None
    match: bool | None = None
    strict_match: bool | None = None
    f1: float | None = None
    reason: str | None = None
    error: str | None = None
    error_class: str | None = None
    gen_ms: float | None = None
    judge_ms: float | None = None
    output_tokens: int | None = None
    row_count: int | None = None
    gold_row_count: int | None = None

    @classmethod
    def from_row(cls, row: dict) -> ResultRecord:
        flags = ("scored", "syntax_ok", "exec_ok", "match", "strict_match")
        values: dict[str, Any] = {k: row[k] for k in RESULT_COLUMNS}
        for k in flags:
            values[k] = None if values[k] is None else bool(values[k])
        return cls(**values)


RESULT_COLUMNS = tuple(f.name for f in fields(ResultRecord))


@dataclass(frozen=True)
class VariantVerdict:
    """One item's verdict on one distilled graph variant."""

    item_id: str
    variant_id: str
    outcome: str


@dataclass(frozen=True)
class FlippedItem:
    """An item correct on the base graph that some variants reject."""

    item_id: str
    caught_by: tuple[str, ...]

    def record(self) -> dict:
        return {"item_id": self.item_id, "caught_by": list(self.caught_by)}


@dataclass(frozen=True)
class TestSuiteFigures:
    """Execution accuracy and test-suite accuracy of one run over its scored items."""

    __test__ = False  # not a pytest class, whatever its name

    run_id: str
    n: int
    execution_correct: int
    variants: tuple[str, ...] = ()
    flipped: tuple[FlippedItem, ...] = field(default_factory=tuple)

    @property
    def test_suite_correct(self) -> int:
        return self.execution_correct - len(self.flipped)

    @property
    def execution_accuracy(self) -> float | None:
        return self.execution_correct / self.n if self.n else None

    @property
    def test_suite_accuracy(self) -> float | None:
        return self.test_suite_correct / self.n if self.n else None

    def record(self) -> dict:
        """The figures as the report's JSON shows them."""
        return {
            "n": self.n,
            "execution_correct": self.execution_correct,
            "test_suite_correct": self.test_suite_correct,
            "execution_accuracy": self.execution_accuracy,
            "test_suite_accuracy": self.test_suite_accuracy,
            "flipped": [f.record() for f in self.flipped],
        }

    def describe(self) -> str:
        return (
            f"test suite: {self.test_suite_correct}/{self.n} correct on every variant "
            f"({self.execution_correct} on the base graph; {len(self.flipped)} flipped)"
        )


def figures_from(
    run_id: str, scored: list[tuple[str, str]], verdicts: list[VariantVerdict], variants: list[str]
) -> TestSuiteFigures:
    """`scored`: (item id, base outcome) of the run's scored items; `verdicts` in variant order."""
    caught: dict[str, list[str]] = {}
    for verdict in verdicts:
        if verdict.outcome != "correct":
            caught.setdefault(verdict.item_id, []).append(verdict.variant_id)
    correct = [item_id for item_id, outcome in scored if outcome == "correct"]
    flipped = tuple(FlippedItem(i, tuple(caught[i])) for i in sorted(i for i in correct if i in caught))
    return TestSuiteFigures(run_id, len(scored), len(correct), tuple(variants), flipped)
