"""One verdict per item: extract, execute, compare, and name exactly one outcome."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..verdict import Outcome, Verdict
from .compare import compare
from .execute import Execution, execute_untrusted
from .extract import extract_query
from .limits import Limits


def judge_output(
    driver,
    raw_output: str | None,
    gold_rows: list[dict] | Callable[[], list[dict]],
    *,
    ordered: bool,
    limits: Limits,
    gold_query: str | None = None,
) -> Verdict:
    """The verdict for one generated output against the gold rows.

    A query identical to the (linted, deterministic, read-only) gold query is not run
    again: on the same graph it returns the gold rows, which are reused and compared.
    `gold_rows` may be a function returning them, called once the generated query has run:
    a gold query that another thread is still computing then overlaps this execution.
    """
    started = time.perf_counter()
    gold = gold_rows if callable(gold_rows) else (lambda: gold_rows)
    query = extract_query(raw_output)
    if query is None:
        verdict = Verdict.unscored_yet(query, len(gold()))
        verdict.error = "no Cypher query found in the output"
    else:
        if gold_query is not None and query == gold_query.strip() and len(gold()) <= limits.row_cap:
            execution = Execution(syntax_ok=True, exec_ok=True, rows=gold(), row_count=len(gold()))
            reused = True
        else:
            execution = execute_untrusted(driver, query, timeout_s=limits.timeout_s, row_cap=limits.row_cap)
            reused = False
        if execution.outcome and not Outcome(execution.outcome).scored:
            return Verdict.infra(
                execution.outcome,
                execution.error or "",
                execution.error_class or "",
                extracted_query=query,
                judge_ms=(time.perf_counter() - started) * 1000,
            )
        expected = gold()
        verdict = Verdict.unscored_yet(query, len(expected))
        if reused:
            verdict.detail["reused_gold_rows"] = True
        verdict.syntax_ok, verdict.exec_ok = execution.syntax_ok, execution.exec_ok
        verdict.error, verdict.error_class = execution.error, execution.error_class
        verdict.warnings, verdict.db_ms, verdict.row_count = execution.warnings, execution.db_ms, execution.row_count
        if execution.outcome:
            verdict.outcome = Outcome(execution.outcome)
        else:
            comparison = compare(expected, execution.rows or [], ordered=ordered)
            verdict.outcome = Outcome.CORRECT if comparison.match else Outcome.WRONG_RESULT
            verdict.match, verdict.strict_match = comparison.match, comparison.strict
            verdict.f1, verdict.reason = comparison.f1, comparison.reason
            verdict.detail.update(
                missing_rows=comparison.missing_rows, extra_rows=comparison.extra_rows, mapping=comparison.mapping
            )
    verdict.judge_ms = (time.perf_counter() - started) * 1000  # wall time, Neo4j included
    return verdict
