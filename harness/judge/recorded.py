"""Verdicts for outputs judged elsewhere (OncoGraph's checkpoint files): the one place they are built.

The original graph is not needed, and nothing generated is run again:
- syntax: this Neo4j's own parser and planner (EXPLAIN needs the schema, not the data);
- execution: as recorded (`execution_success`, and the recorded error's Neo4j status code);
- accuracy: the harness's comparator on the recorded gold and generated rows.
A record whose generation itself failed (a rate limit, a server error: OncoGraph writes
`Evaluation error: ...` with an empty query) never reached the graph: an infra outcome, never scored.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..cypher.scan import totally_ordered
from ..verdict import Outcome, Verdict
from .canonical import canonical, freeze
from .compare import RowComparison, compare
from .execute import FORBIDDEN_CODES, TIMEOUT_CODES, explain_untrusted

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
    rows_dropped: bool = False  # read without its rows to save memory (runner/recorded_file.with_rows)

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


# Rows per side above which equal results are recognised by row digests before compare() runs:
# compare() keeps every row three times over (canonical, frozen cells, counters), ~850 MB for
# 1,000,000 rows a side; a digest is 16 bytes.
LARGE_ROWS = 50_000


_PLAIN = (str, int, bool, type(None))  # already canonical: JSON text is their frozen form
_PLAIN_TEXT = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def _row_digest(row: dict) -> bytes:
    if all(type(value) in _PLAIN for value in row.values()):
        text = _PLAIN_TEXT(row)
    else:
        text = freeze(canonical(row))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def same_rows(gold: list[dict], generated: list[dict], ordered: bool) -> bool:
    """Whether both sides hold the same rows under the same column names (then match and strict
    hold), in memory for one digest per gold row; False only means compare() must decide."""
    if len(gold) != len(generated):
        return False
    if ordered:
        return all(_row_digest(a) == _row_digest(b) for a, b in zip(gold, generated))
    remaining = Counter(_row_digest(row) for row in gold)
    for row in generated:
        digest = _row_digest(row)
        if not remaining[digest]:
            return False
        remaining[digest] -= 1
    return True


def compare_recorded(gold: list[dict], generated: list[dict], ordered: bool) -> RowComparison:
    """compare(), with a digest pass first for large results (equal results are the common case)."""
    if min(len(gold), len(generated)) > LARGE_ROWS and same_rows(gold, generated, ordered):
        columns = list(dict.fromkeys(key for row in gold[:1] for key in row))
        return RowComparison(True, True, 1.0, mapping={str(c): str(c) for c in columns})
    return compare(gold, generated, ordered=ordered)


def infra_of(item: RecordedItem) -> tuple[Outcome, str] | None:
    """(outcome, error_class) when the item was never fairly judged, else None."""
    error = item.error or ""
    if GENERATION_FAILED.match(error) or (error and not (item.generated_cypher or "").strip()):
        return Outcome.INFRA_MODEL, "recorded.RateLimit" if RATE_LIMITED.search(error) else "recorded.GenerationFailed"
    if not item.execution_success and DB_UNREACHABLE.search(error):
        return Outcome.INFRA_DB, "recorded.Neo4jUnavailable"
    return None


def recorded_failure(error: str | None) -> tuple[Outcome, str]:
    """(outcome, error_class) of a recorded execution failure, from its Neo4j status code where it has one."""
    found = NEO4J_CODE.search(error or "")
    code = found.group(0) if found else "recorded.ExecutionFailed"
    if code in TIMEOUT_CODES:
        return Outcome.TIMEOUT, code
    if code in FORBIDDEN_CODES or "AccessMode" in code:
        return Outcome.FORBIDDEN, code
    return Outcome.EXEC_ERROR, code


def judge_recorded(driver, item: RecordedItem, *, ordered: bool | None = None) -> Verdict:
    """The verdict for one recorded item (see the module docstring); `ordered` defaults to the gold's own ORDER BY."""
    started = time.perf_counter()
    query = (item.generated_cypher or "").strip() or None
    detail: dict[str, Any] = {"recorded": item.as_recorded()}
    infra = infra_of(item)
    if infra:
        return Verdict.infra(infra[0], item.error or "", infra[1], extracted_query=query, detail=detail)
    verdict = Verdict.unscored_yet(query, len(item.gold_rows), detail=detail)
    if query is None:
        verdict.error = item.error or "no Cypher query was recorded"
    else:
        explained = explain_untrusted(driver, query)
        if explained.outcome and not Outcome(explained.outcome).scored:
            return Verdict.infra(
                explained.outcome,
                explained.error or "",
                explained.error_class or "",
                extracted_query=query,
                detail=detail,
            )
        verdict.syntax_ok, verdict.warnings, verdict.db_ms = explained.syntax_ok, explained.warnings, explained.db_ms
        verdict.error, verdict.error_class = explained.error, explained.error_class
        if explained.outcome:  # syntax_error, or a plan that is not read-only
            verdict.outcome = Outcome(explained.outcome)
        elif not item.execution_success:
            verdict.outcome, verdict.error_class = recorded_failure(item.error)
            verdict.error = item.error or "recorded as failed"
            if item.syntactic_valid is False:
                detail["not_run"] = "the original evaluation's validator refused it, so it never ran"
        else:
            is_ordered = totally_ordered(item.gold_cypher) if ordered is None else ordered
            comparison = compare_recorded(item.gold_rows, item.generated_rows, is_ordered)
            verdict.outcome = Outcome.CORRECT if comparison.match else Outcome.WRONG_RESULT
            verdict.exec_ok, verdict.row_count = True, len(item.generated_rows)
            verdict.match, verdict.strict_match = comparison.match, comparison.strict
            verdict.f1, verdict.reason = comparison.f1, comparison.reason
            detail.update(
                missing_rows=comparison.missing_rows, extra_rows=comparison.extra_rows, mapping=comparison.mapping
            )
    verdict.judge_ms = (time.perf_counter() - started) * 1000
    return verdict
