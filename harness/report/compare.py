"""`harness compare RUN_A RUN_B`: which items flipped between two runs, and is it noise?"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tabulate import tabulate

from ..store import Store
from ..store.records import RunRecord
from ..verdict import Outcome
from .summary import Paired, RunSummary, labels_for, paired, summarize
from .tables import num, pairs_table, rate_cell


@dataclass
class Flip:
    item_id: str
    family_id: str | None
    outcome_a: str
    outcome_b: str

    @property
    def direction(self) -> str:
        return "pass->fail" if self.outcome_a == "correct" else "fail->pass"


@dataclass
class RunComparison:
    a: RunSummary
    b: RunSummary
    paired: Paired
    flips: list[Flip] = field(default_factory=list)
    changed_failures: int = 0  # both wrong, but with different outcomes
    only_in_a: list[str] = field(default_factory=list)
    only_in_b: list[str] = field(default_factory=list)
    unscored: list[str] = field(default_factory=list)  # recorded in both, infra on at least one side

    @property
    def pass_to_fail(self) -> list[Flip]:
        return [flip for flip in self.flips if flip.direction == "pass->fail"]

    @property
    def fail_to_pass(self) -> list[Flip]:
        return [flip for flip in self.flips if flip.direction == "fail->pass"]


def compare_runs(store: Store, run_a: RunRecord, run_b: RunRecord) -> RunComparison:
    label_a, label_b = labels_for([run_a, run_b])
    if label_a == label_b:  # the same run twice
        label_a, label_b = f"A {label_a}", f"B {label_b}"
    return compare_summaries(summarize(store, run_a, label_a), summarize(store, run_b, label_b))


def compare_summaries(a: RunSummary, b: RunSummary) -> RunComparison:
    """The flips between two already summarized runs (the HTML report compares every pair)."""
    result = RunComparison(a, b, paired(a, b))
    for item_id in sorted(a.items.keys() | b.items.keys()):
        if item_id not in b.items:
            result.only_in_a.append(item_id)
            continue
        if item_id not in a.items:
            result.only_in_b.append(item_id)
            continue
        (outcome_a, family), (outcome_b, family_b) = a.items[item_id], b.items[item_id]
        if not Outcome.is_scored(outcome_a) or not Outcome.is_scored(outcome_b):
            result.unscored.append(item_id)
        elif (outcome_a == "correct") != (outcome_b == "correct"):
            result.flips.append(Flip(item_id, family or family_b, outcome_a, outcome_b))
        elif outcome_a != outcome_b:
            result.changed_failures += 1
    result.flips.sort(key=lambda flip: (flip.direction != "pass->fail", flip.family_id or "", flip.item_id))
    return result


def to_dict(c: RunComparison) -> dict:
    return {
        "a": {"label": c.a.label, "run_id": c.a.run.id, "accuracy_pct": c.a.accuracy.pct, "n_scored": c.a.n_scored},
        "b": {"label": c.b.label, "run_id": c.b.run.id, "accuracy_pct": c.b.accuracy.pct, "n_scored": c.b.n_scored},
        "paired": pairs_table([c.paired]).records[0],
        "flips": [
            {
                "item_id": f.item_id,
                "family_id": f.family_id,
                "outcome_a": f.outcome_a,
                "outcome_b": f.outcome_b,
                "direction": f.direction,
            }
            for f in c.flips
        ],
        "changed_failures": c.changed_failures,
        "only_in_a": c.only_in_a,
        "only_in_b": c.only_in_b,
        "unscored": c.unscored,
    }


def render(c: RunComparison, fmt: str = "md") -> str:
    if fmt == "json":
        return json.dumps(to_dict(c), indent=2, ensure_ascii=False)
    p = c.paired
    lines = [f"# Compare A = {c.a.label} ({c.a.run.id}) with B = {c.b.label} ({c.b.run.id})", ""]
    lines.append(
        tabulate(
            [
                [
                    side.label,
                    side.run.id,
                    str(side.n_scored),
                    rate_cell(side.accuracy, clustered=True),
                    rate_cell(side.accuracy),
                    str(side.n_infra),
                ]
                for side in (c.a, c.b)
            ],
            headers=["", "run", "n scored", "accuracy % [clustered]", "accuracy % [Wilson, items]", "infra errors"],
            tablefmt="github",
            disable_numparse=True,
        )
    )
    lines += ["", pairs_table([p]).markdown()]
    delta = p.delta_points or 0.0
    verdict = (
        "no discordant items"
        if not (p.only_a or p.only_b)
        else f"B {'gains' if delta > 0 else 'loses' if delta < 0 else 'changes'} "
        f"{num(abs(delta))} points on {p.n_shared} shared items; exact McNemar p = {p.p_value:.4g}"
        + (" (unlikely to be noise at 0.05)" if p.p_value < 0.05 else " (consistent with noise at 0.05)")
    )
    lines += [verdict, ""]
    lines.append(f"## Flips: {len(c.pass_to_fail)} pass->fail, {len(c.fail_to_pass)} fail->pass")
    lines.append("")
    if c.flips:
        lines.append(
            tabulate(
                [[f.item_id, f.family_id or "?", f.outcome_a, f.outcome_b, f.direction] for f in c.flips],
                headers=["item", "family", f"A: {c.a.label}", f"B: {c.b.label}", "change"],
                tablefmt="github",
                disable_numparse=True,
            )
        )
    else:
        lines.append("_(no item changed between correct and not correct)_")
    notes = []
    if c.changed_failures:
        notes.append(f"{c.changed_failures} item(s) failed in both runs with different outcomes")
    if c.unscored:
        notes.append(
            f"{len(c.unscored)} item(s) left out of the pairing: infra error on at least one side "
            f"({', '.join(c.unscored[:5])}{', ...' if len(c.unscored) > 5 else ''})"
        )
    if c.only_in_a or c.only_in_b:
        notes.append(f"{len(c.only_in_a)} item(s) only in A, {len(c.only_in_b)} only in B")
    if p.suites_differ:
        notes.append("the runs used different suite hashes: items are matched by id")
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"
