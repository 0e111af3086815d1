"""Everything that reads the results store: report tables, statistics, plots, comparison,
baselines and the regression gate, item views and failure triage."""

from __future__ import annotations

from ..store import Store
from . import queries
from .summary import RunSummary, summarize_runs
from .tables import TABLES, Table, build_tables, render
from .test_suite import test_suite_table


def build_report(store: Store, run_ids: tuple[str, ...] | list[str] = ()) -> tuple[list[RunSummary], dict[str, Table]]:
    """Summaries of the chosen runs (default: the latest run of each model) and their tables."""
    summaries = summarize_runs(store, queries.select_runs(store, run_ids))
    tables = build_tables(summaries)
    extra = test_suite_table(store, summaries)
    if extra is not None:
        tables[extra.name] = extra
    return summaries, tables


__all__ = ["TABLES", "RunSummary", "Table", "build_report", "render"]
