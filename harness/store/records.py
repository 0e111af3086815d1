"""Typed records the store reads back for test-suite accuracy (never dict rows).

A run's test-suite figures are computed from two reads, its scored base verdicts and its
verdicts on each graph variant: the runner prints them, the report tabulates them, and
both get them from `Store.test_suite_figures`, so the rule "correct on the base graph and
on every variant" is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
