"""Comparing a generated result with the gold result (docs/ARCHITECTURE.md, "Comparing results").

`match`: there is a one-to-one mapping from gold columns to generated columns,
found by content whatever their names or positions, under which the projected bags
of rows are equal; extra generated columns are ignored. `strict`: the same, with
each gold column found under its own name. Rows form a sequence only when the gold
is totally ordered. `f1` is row-level partial credit; `reason` names the mismatch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .canonical import canonical_rows, freeze

SAMPLE = 5


@dataclass
class RowComparison:
    match: bool
    strict: bool
    f1: float
    reason: str = ""
    mapping: dict[str, str] | None = None
    missing_rows: list = field(default_factory=list)
    extra_rows: list = field(default_factory=list)


def _columns(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


class _Table:
    """Rows as frozen cells per column, so columns and projections compare cheaply."""

    def __init__(self, rows: list[dict], ordered_lists: bool):
        self.rows = rows
        self.columns = _columns(rows)
        self.cells = {c: [freeze(row.get(c), ordered_lists) for row in rows] for c in self.columns}
        self.column_bags = {c: Counter(values) for c, values in self.cells.items()}

    def project(self, columns: list[str]) -> list[tuple]:
        return list(zip(*(self.cells[c] for c in columns))) if columns else [() for _ in self.rows]


def _equal(gold: list[tuple], generated: list[tuple], ordered: bool) -> bool:
    return gold == generated if ordered else Counter(gold) == Counter(generated)


def _find_mapping(gold: _Table, generated: _Table, ordered: bool) -> dict[str, str] | None:
    """Backtracking search for a column mapping under which the projected rows are equal."""
    candidates = {
        c: [d for d in generated.columns if generated.column_bags[d] == gold.column_bags[c]] for c in gold.columns
    }
    order = sorted(gold.columns, key=lambda c: len(candidates[c]))
    if any(not candidates[c] for c in order):
        return None
    target = gold.project(gold.columns)

    def search(index: int, chosen: dict[str, str]) -> dict[str, str] | None:
        if index == len(order):
            projected = generated.project([chosen[c] for c in gold.columns])
            return dict(chosen) if _equal(target, projected, ordered) else None
        column = order[index]
        for candidate in candidates[column]:
            if candidate not in chosen.values():
                chosen[column] = candidate
                found = search(index + 1, chosen)
                if found:
                    return found
                del chosen[column]
        return None

    return search(0, {})


def _best_effort_mapping(gold: _Table, generated: _Table) -> dict[str, str]:
    """Greedy mapping by value overlap, for partial credit and for explaining a mismatch."""
    mapping: dict[str, str] = {}
    scored = sorted(
        (
            (sum((gold.column_bags[c] & generated.column_bags[d]).values()), c, d)
            for c in gold.columns
            for d in generated.columns
        ),
        key=lambda t: (-t[0], gold.columns.index(t[1]), generated.columns.index(t[2])),
    )
    for overlap, c, d in scored:
        if overlap and c not in mapping and d not in mapping.values():
            mapping[c] = d
    return mapping


def _f1(gold_rows: list[tuple], generated_rows: list[tuple]) -> float:
    if not gold_rows and not generated_rows:
        return 1.0
    true_positive = sum((Counter(gold_rows) & Counter(generated_rows)).values())
    if not true_positive:
        return 0.0
    precision, recall = true_positive / len(generated_rows), true_positive / len(gold_rows)
    return round(2 * precision * recall / (precision + recall), 6)


def _stringified(rows: list[dict]) -> list[dict]:
    return [{k: None if v is None else str(v) for k, v in row.items()} for row in rows]


def compare(
    gold_rows: list[dict],
    generated_rows: list[dict],
    ordered: bool = False,
    ordered_lists: bool = False,
    _check_types: bool = True,
) -> RowComparison:
    """Compare rows (lists of dicts as `record.data()` returns them)."""
    gold = _Table(canonical_rows(gold_rows), ordered_lists)
    generated = _Table(canonical_rows(generated_rows), ordered_lists)
    if not gold.rows and not generated.rows:
        return RowComparison(True, True, 1.0, mapping={})
    if not gold.rows or not generated.rows:
        reason = "extra_rows" if not gold.rows else "missing_rows"
        return RowComparison(
            False, False, 0.0, reason, missing_rows=gold.rows[:SAMPLE], extra_rows=generated.rows[:SAMPLE]
        )

    same_count = len(gold.rows) == len(generated.rows)
    mapping = _find_mapping(gold, generated, ordered) if same_count else None
    strict = (
        same_count
        and all(c in generated.columns for c in gold.columns)
        and _equal(gold.project(gold.columns), generated.project(gold.columns), ordered)
    )
    if mapping is not None:
        return RowComparison(True, strict, 1.0, mapping=mapping)

    partial = _best_effort_mapping(gold, generated)
    if len(partial) < len(gold.columns):
        if (
            _check_types
            and compare(_stringified(gold.rows), _stringified(generated.rows), ordered, ordered_lists, False).match
        ):
            return RowComparison(False, False, 0.0, "types", mapping=partial)
        return RowComparison(False, False, 0.0, "columns", mapping=partial)
    gold_tuples = gold.project(gold.columns)
    generated_tuples = generated.project([partial[c] for c in gold.columns])
    f1 = _f1(gold_tuples, generated_tuples)
    if same_count and ordered and Counter(gold_tuples) == Counter(generated_tuples):
        return RowComparison(False, False, 1.0, "order", mapping=partial)
    missing = Counter(gold_tuples) - Counter(generated_tuples)
    extra = Counter(generated_tuples) - Counter(gold_tuples)
    if (
        _check_types
        and compare(_stringified(gold.rows), _stringified(generated.rows), ordered, ordered_lists, False).match
    ):
        reason = "types"
    else:
        reason = "missing_and_extra_rows" if missing and extra else "missing_rows" if missing else "extra_rows"
    index = {t: row for t, row in zip(gold_tuples, gold.rows)}
    gen_index = {t: row for t, row in zip(generated_tuples, generated.rows)}
    return RowComparison(
        False,
        False,
        f1,
        reason,
        mapping=partial,
        missing_rows=[index[t] for t in list(missing)[:SAMPLE]],
        extra_rows=[gen_index[t] for t in list(extra)[:SAMPLE]],
    )
