"""Verdicts for outputs judged elsewhere (OncoGraph's checkpoint files): the one place they are built.

The original graph is not needed, and nothing generated is run again:
- syntax: this Neo4j's own parser and planner (EXPLAIN needs the schema, not the data);
- execution: as recorded (`execution_success`, and the recorded error's Neo4j status code);
- accuracy: the harness's comparator on the recorded gold and generated rows.
A record whose generation itself failed (a rate limit, a server error: OncoGraph writes
`Evaluation error: ...` with an empty query) never reached the graph: an infra outcome, never scored.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from ..store import INFRA_OUTCOMES
from .compare import compare
from .execute import FORBIDDEN_CODES, TIMEOUT_CODES, explain_untrusted
from .outcome import gold_is_ordered, infra_verdict

GENERATION_FAILED = re.compile(r"^\s*Evaluation error:", re.IGNORECASE)
RATE_LIMITED = re.compile(r"\b429\b|RESOURCE_EXHAUSTED|rate[ _-]?limit|quota", re.IGNORECASE)
NEO4J_CODE = re.compile(r"\bNeo\.(?:ClientError|TransientError|DatabaseError)\.[\w.]+")
DB_UNREACHABLE = re.compile(r"ServiceUnavailable|SessionExpired|Failed to establish connection|defunct", re.IGNORECASE)


@dataclass
class RecordedItem:
    """One checkpoint line, checked: what the original evaluation recorded for one item."""

    line: int
    id: str
    question: str
    gold_cypher: str
    generated_cypher: str
    execution_success: bool
    gold_rows: list[dict]
    generated_rows: list[dict]
    error: str | None = None
    syntactic_valid: bool | None = None
    result_match: bool | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    tokens_per_second: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def gen_ms(self) -> float | None:
        """Generation time, where the file has it: files with `tokens_per_second` time generation
        plus OncoGraph's own checks in `latency_ms`; older files time only the checks (no model)."""
        return self.latency_ms if self.tokens_per_second is not None else None

    def as_recorded(self) -> dict:
        return {
            "line": self.line,
            "syntactic_valid": self.syntactic_valid,
            "execution_success": self.execution_success,
            "result_match": self.result_match,
            "error": self.error,
            "latency_ms": self.latency_ms,
            "tokens_per_second": self.tokens_per_second,
        }


def infra_of(item: RecordedItem) -> tuple[str, str] | None:
    """(outcome, error_class) when the item was never fairly judged, else None."""
    error = item.error or ""
    if GENERATION_FAILED.match(error) or (error and not (item.generated_cypher or "").strip()):
        return "infra_model", "recorded.RateLimit" if RATE_LIMITED.search(error) else "recorded.GenerationFailed"
    if not item.execution_success and DB_UNREACHABLE.search(error):
        return "infra_db", "recorded.Neo4jUnavailable"
    return None


def recorded_failure(error: str | None) -> tuple[str, str]:
    """(outcome, error_class) of a recorded execution failure, from its Neo4j status code where it has one."""
    found = NEO4J_CODE.search(error or "")
    code = found.group(0) if found else "recorded.ExecutionFailed"
    if code in TIMEOUT_CODES:
        return "timeout", code
    if code in FORBIDDEN_CODES or "AccessMode" in code:
        return "forbidden", code
    return "exec_error", code


def judge_recorded(driver, item: RecordedItem, *, ordered: bool | None = None) -> dict:
    """The verdict fields of a results row for one recorded item (see the module docstring)."""
    started = time.perf_counter()
    query = (item.generated_cypher or "").strip()
    detail = {"recorded": item.as_recorded()}
    infra = infra_of(item)
    if infra:
        return {
            **infra_verdict(infra[0], item.error or "", infra[1]),
            "extracted_query": query or None,
            "detail": detail,
            "judge_ms": (time.perf_counter() - started) * 1000,
        }
    verdict = {
        "extracted_query": query or None,
        "gold_row_count": len(item.gold_rows),
        "scored": 1,
        "syntax_ok": 0,
        "exec_ok": 0,
        "match": 0,
        "strict_match": 0,
        "f1": 0.0,
        "db_ms": 0.0,
        "detail": detail,
    }
    if not query:
        verdict.update(outcome="no_query", error=item.error or "no Cypher query was recorded")
        verdict["judge_ms"] = (time.perf_counter() - started) * 1000
        return verdict
    explained = explain_untrusted(driver, query)
    if explained.outcome in INFRA_OUTCOMES:
        return {
            **infra_verdict(explained.outcome, explained.error, explained.error_class),
            "extracted_query": query,
            "detail": detail,
            "judge_ms": (time.perf_counter() - started) * 1000,
        }
    verdict.update(
        syntax_ok=int(explained.syntax_ok),
        warnings=explained.warnings,
        db_ms=explained.db_ms,
        error=explained.error,
        error_class=explained.error_class,
    )
    if explained.outcome:  # syntax_error, or a plan that is not read-only
        verdict["outcome"] = explained.outcome
    elif not item.execution_success:
        outcome, error_class = recorded_failure(item.error)
        if item.syntactic_valid is False:
            detail["not_run"] = "the original evaluation's validator refused it, so it never ran"
        verdict.update(outcome=outcome, error=item.error or "recorded as failed", error_class=error_class)
    else:
        is_ordered = gold_is_ordered(item.gold_cypher, item.gold_rows) if ordered is None else ordered
        comparison = compare(item.gold_rows, item.generated_rows, ordered=is_ordered)
        verdict.update(
            exec_ok=1,
            row_count=len(item.generated_rows),
            match=int(comparison.match),
            strict_match=int(comparison.strict),
            f1=comparison.f1,
            reason=comparison.reason,
            outcome="correct" if comparison.match else "wrong_result",
        )
        detail.update(
            missing_rows=comparison.missing_rows, extra_rows=comparison.extra_rows, mapping=comparison.mapping
        )
    verdict["judge_ms"] = (time.perf_counter() - started) * 1000
    return verdict
