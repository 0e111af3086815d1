"""The report's table of execution vs test-suite accuracy, for runs judged with --test-suite."""

from __future__ import annotations

from ..store import Store
from .tables import Table, pct

SHOWN_FLIPPED = 8


def test_suite_table(store: Store, summaries) -> Table | None:
    """Execution accuracy and test-suite accuracy side by side; None when no chosen run was
    judged on graph variants (the report then looks as before)."""
    records, rows = [], []
    for run_summary in summaries:
        figures = store.test_suite_figures(run_summary.run.id)
        if figures is None:
            continue
        flipped = figures.flipped
        records.append(
            {
                "model": run_summary.label,
                "run_id": figures.run_id,
                "variants": list(figures.variants),
                **figures.record(),
            }
        )
        exec_pct = 100 * figures.execution_accuracy if figures.execution_accuracy is not None else None
        ts_pct = 100 * figures.test_suite_accuracy if figures.test_suite_accuracy is not None else None
        shown = ", ".join(f"{f.item_id} ({' '.join(f.caught_by)})" for f in flipped[:SHOWN_FLIPPED])
        more = len(flipped) - SHOWN_FLIPPED
        rows.append(
            [
                run_summary.label,
                figures.n,
                pct(exec_pct),
                pct(ts_pct),
                len(figures.variants),
                len(flipped),
                shown + (f", … {more} more" if more > 0 else ""),
            ]
        )
    if not records:
        return None
    headers = [
        "model",
        "n",
        "execution accuracy %",
        "test-suite accuracy %",
        "variants",
        "flipped",
        "flipped items (caught by)",
    ]
    note = (
        "Test-suite accuracy: correct on the base graph and on every distilled graph variant of the suite "
        "(`harness suite distill`). Flipped: items execution accuracy accepts and a variant rejects."
    )
    return Table("test_suite", "Execution vs test-suite accuracy", records, headers, rows, note)
