"""Read-side queries over the results store (runs, results, generations).

The runner writes the store; everything under harness/report/ only reads it. Opening a
store for reading never creates a database file: a missing file is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import HarnessError
from ..inputs import not_a_file
from ..store import Store, default_db_path
from ..store.health import database_errors
from ..store.liveness import observed
from ..store.records import ResultRecord, RunRecord, parse_json

__all__ = ["get_run", "item_details", "items", "latest_run_of", "open_store", "parse_json", "reading", "select_runs"]


def open_store(path: str | Path | None = None) -> Store:
    """The results database at `path` (default $HARNESS_DB or results.db), which must exist."""
    target = Path(path) if path else default_db_path()
    if target.exists() and not target.is_file():
        raise HarnessError(f"{target} is {not_a_file(target)}, not a results database: pass --db FILE")
    if not target.is_file():
        raise HarnessError(f"no results database at {target}: run `harness run --model NAME` first, or pass --db")
    writable = os.access(target, os.W_OK) and os.access(target.parent, os.W_OK)
    return Store(target, readonly=not writable)  # a read-only mount can still be reported on


@contextmanager
def reading(path: str | Path | None = None) -> Iterator[Store]:
    """`with reading(db) as store:` an existing results database, closed afterwards."""
    store = open_store(path)
    try:
        with database_errors(store.path):  # damage the quick check on opening did not reach: still one line
            yield store
    finally:
        store.close()


def select_runs(store: Store, run_ids: tuple[str, ...] | list[str] = ()) -> list[RunRecord]:
    """The runs named by id (or unique id prefix), in the order given; by default the latest
    run of each model, whatever its status, sorted by model name."""
    if run_ids:
        runs: list[RunRecord] = []
        seen = set()
        for run_id in run_ids:
            run = get_run(store, run_id)
            if run.id not in seen:
                seen.add(run.id)
                runs.append(run)
        return runs
    runs = [observed(run) for run in store.latest_runs()]
    if not runs:
        raise HarnessError(f"no runs in {store.path}: run `harness run --model NAME` first")
    return runs


def latest_run_of(store: Store, model: str) -> RunRecord:
    run = store.latest_run(model)
    if run is None:
        raise HarnessError(f"no run of model {model!r} in {store.path}")
    return observed(run)


def get_run(store: Store, run_id: str) -> RunRecord:
    """One run by id or unique prefix, as listings show it (a dead `running` run is `abandoned`)."""
    return observed(store.get_run(run_id))


def items(store: Store, run_id: str) -> Iterator[ResultRecord]:
    """Per-item verdicts of one run (without raw output or detail), ordered by item id."""
    yield from store.verdicts(run_id)


def item_details(store: Store, run_id: str):
    """Every stored field of one run's items, verdict and generation together (the HTML report's item browser)."""
    yield from store.item_details(run_id)
