"""One verdict per item: extract, execute, compare, and name exactly one outcome."""

from __future__ import annotations

import re
import time

from ..store import INFRA_OUTCOMES
from .compare import compare
from .execute import Execution, execute_untrusted
from .extract import extract_query

FINAL_ORDER_BY = re.compile(r"\bORDER\s+BY\b(?!.*\b(RETURN|WITH)\b)", re.IGNORECASE | re.DOTALL)


def gold_is_ordered(cypher: str, rows: list[dict]) -> bool:
    """Fallback for items without `gold.ordered`: a final ORDER BY over rows that are all distinct."""
    if not FINAL_ORDER_BY.search(cypher):
        return False
    frozen = [repr(sorted(row.items())) for row in rows]
    return len(set(frozen)) == len(frozen)


def infra_verdict(outcome: str, error: str, error_class: str = "") -> dict:
    assert outcome in INFRA_OUTCOMES
    return {
        "outcome": outcome,
        "scored": 0,
        "syntax_ok": None,
        "exec_ok": None,
        "match": None,
        "strict_match": None,
        "f1": None,
        "error": error,
        "error_class": error_class,
    }


def judge_output(
    driver,
    raw_output: str | None,
    gold_rows: list[dict],
    *,
    ordered: bool,
    timeout_s: float,
    row_cap: int,
    gold_query: str | None = None,
) -> dict:
    """The verdict fields of a results row for one generated output.

    A query identical to the (linted, deterministic, read-only) gold query is not run
    again: on the same graph it returns the gold rows, which are reused and compared.
    """
    started = time.perf_counter()
    query = extract_query(raw_output)
    verdict = {
        "extracted_query": query,
        "gold_row_count": len(gold_rows),
        "scored": 1,
        "syntax_ok": 0,
        "exec_ok": 0,
        "match": 0,
        "strict_match": 0,
        "f1": 0.0,
        "db_ms": 0.0,
        "detail": {},
    }
    if query is None:
        verdict.update(outcome="no_query", error="no Cypher query found in the output")
    else:
        if gold_query is not None and query == gold_query.strip() and len(gold_rows) <= row_cap:
            execution = Execution(syntax_ok=True, exec_ok=True, rows=gold_rows, row_count=len(gold_rows))
            verdict["detail"]["reused_gold_rows"] = True
        else:
            execution = execute_untrusted(driver, query, timeout_s=timeout_s, row_cap=row_cap)
        verdict.update(
            syntax_ok=int(execution.syntax_ok),
            exec_ok=int(execution.exec_ok),
            error=execution.error,
            error_class=execution.error_class,
            warnings=execution.warnings,
            db_ms=execution.db_ms,
            row_count=execution.row_count,
        )
        if execution.outcome in INFRA_OUTCOMES:
            return {
                **infra_verdict(execution.outcome, execution.error, execution.error_class),
                "extracted_query": query,
                "judge_ms": (time.perf_counter() - started) * 1000,
            }
        if execution.outcome:
            verdict["outcome"] = execution.outcome
        else:
            comparison = compare(gold_rows, execution.rows, ordered=ordered)
            verdict.update(
                match=int(comparison.match),
                strict_match=int(comparison.strict),
                f1=comparison.f1,
                reason=comparison.reason,
                outcome="correct" if comparison.match else "wrong_result",
            )
            verdict["detail"].update(
                missing_rows=comparison.missing_rows, extra_rows=comparison.extra_rows, mapping=comparison.mapping
            )
    verdict["judge_ms"] = (time.perf_counter() - started) * 1000  # wall time, Neo4j included
    return verdict
