"""A run or rescore with test-suite accuracy: the order of the steps lives here, not in the CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def evaluate_with_test_suite(
    evaluate: Callable[[], Any], *, server: str, backend: str | None, db_path: str | None, progress=None
) -> tuple[Any, dict]:
    """Put back a base graph an interrupted earlier test-suite command left replaced, run
    `evaluate()` (a run or a rescore, judged on the base graph), then judge its correct items
    on every distilled variant. Returns (the run's result, the test-suite figures)."""
    from ..runner.variant_stage import judge_on_variants
    from .server import restore_before_run

    restore_before_run(server, backend, progress)
    result = evaluate()
    figures = judge_on_variants(result.run_id, db_path=db_path, server=server, backend=backend, progress=progress)
    return result, figures


def describe(figures: dict) -> str:
    return (
        f"test suite: {figures['test_suite_correct']}/{figures['n']} correct on every variant "
        f"({figures['execution_correct']} on the base graph; {len(figures['flipped'])} flipped)"
    )
