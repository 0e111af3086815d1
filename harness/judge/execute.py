"""Running untrusted Cypher against the live graph, safely, and classifying what happened.

Every generated query is first planned by the server (EXPLAIN, which runs nothing): a syntax or
semantic error is the syntax level, and the plan decides what the query would do
(`sandbox.plan_refusal`: no LOAD CSV, no commands, no non-READ procedure, no other database,
a read-only query type), whatever its spelling. Only then is it run, once, in an auto-commit READ
transaction with a server-side timeout, a row cap (streamed, never fetched whole) and the server's
transaction memory limit; the run's summary carries the unknown label/property warnings. A cheap
text filter (`sandbox.text_refusal`) spares the server the obvious cases. Errors are classified from
the server's own status codes, never from message text where a code exists. `explain_untrusted` is
the syntax level alone (nothing runs), for outputs judged from recorded rows.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from neo4j import READ_ACCESS, Query
from neo4j.exceptions import ClientError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from .canonical import canonical
from .limits import DEFAULT_LIMITS
from .sandbox import (
    READ_ONLY_QUERY_TYPES,
    ProcedureGuard,
    home_database,
    needs_plan,
    non_read_procedures,
    plan_refusal,
    switched_database,
    text_refusal,
)

__all__ = ["Execution", "execute_untrusted", "explain_untrusted", "non_read_procedures"]
# a leading EXPLAIN or PROFILE (after any comments): the judge adds its own EXPLAIN, and runs the query itself
LEADING_EXPLAIN = re.compile(r"^(?:\s|/\*.*?\*/|//[^\n]*)*(EXPLAIN|PROFILE)\b", re.IGNORECASE | re.DOTALL)
TIMEOUT_CODES = (
    "Neo.ClientError.Transaction.TransactionTimedOut",
    "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
    "Neo.TransientError.Transaction.LockClientStopped",
)
FORBIDDEN_CODES = (
    "Neo.ClientError.Statement.AccessMode",
    "Neo.ClientError.Security.Forbidden",
    "Neo.ClientError.Procedure.ProcedureCallFailed.AccessMode",
)
SYNTAX_CODES = (
    "Neo.ClientError.Statement.SyntaxError",
    "Neo.ClientError.Statement.SemanticError",
    "Neo.ClientError.Statement.TypeError",
    "Neo.ClientError.Procedure.ProcedureNotFound",
    "Neo.ClientError.Statement.NotSystemDatabaseError",
    "Neo.ClientError.Statement.UnsupportedAdministrationCommand",
)
MEMORY_CODES = (
    "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
    "Neo.TransientError.General.TransactionMemoryLimit",
    "Neo.TransientError.General.OutOfMemoryError",
)
# refused at RUN although the query parses and plans (an EXPLAIN would have passed): execution-level errors
RUN_ONLY_CODES = ("Neo.ClientError.Statement.ParameterMissing",)


@dataclass
class Execution:
    """What running one query produced: an outcome (None = ran fine, compare rows) and its evidence."""

    outcome: str | None = None
    syntax_ok: bool = False
    exec_ok: bool = False
    rows: list[dict] | None = None
    row_count: int | None = None
    error: str | None = None
    error_class: str | None = None
    warnings: list[str] = field(default_factory=list)
    db_ms: float = 0.0


def _short(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:500]


def _code(exc: Exception) -> str:
    return getattr(exc, "code", None) or type(exc).__name__


def _classify(exc: Exception, stage: str) -> tuple[str, str]:
    """(outcome, error_class) for a failure at `stage`: 'explain' (parse and plan) or 'run'."""
    code = _code(exc)
    if code in TIMEOUT_CODES:
        return "timeout", code
    if code in FORBIDDEN_CODES or "AccessMode" in code:
        return "forbidden", code
    if (
        isinstance(exc, (ServiceUnavailable, SessionExpired))
        or code.startswith("Neo.DatabaseError")
        or (isinstance(exc, DriverError) and not isinstance(exc, Neo4jError))
    ):
        return "infra_db", code
    if code in MEMORY_CODES:
        return "exec_error", code
    if code.startswith("Neo.TransientError"):
        return "infra_db", code
    if stage == "explain" and (code in SYNTAX_CODES or isinstance(exc, ClientError)):
        return "syntax_error", code
    return "exec_error", code


def _warnings(summary) -> list[str]:
    """Server warnings such as unknown labels, properties or relationship types (GQL status 01N5x)."""
    return [
        f"{status.gql_status}: {status.status_description}"
        for status in summary.gql_status_objects
        if status.is_notification and str(status.severity).endswith("WARNING")
    ]


def _server_ms(summary) -> float:
    return float((summary.result_available_after or 0) + (summary.result_consumed_after or 0))


def _fail(result: Execution, exc: Exception, stage: str, started: float, timeout_s: float) -> Execution:
    result.outcome, result.error_class = _classify(exc, stage)
    result.syntax_ok = result.outcome != "syntax_error"
    result.error = _short(exc)
    result.db_ms += (time.perf_counter() - started) * 1000
    if result.outcome == "timeout":
        result.error = f"exceeded the {timeout_s:g}s transaction timeout"
    return result


def _plan_warnings(session, query: str) -> list[str]:
    """Warnings for a query that failed while running (no summary came back): plan it, run nothing."""
    try:
        return _warnings(session.run("EXPLAIN " + LEADING_EXPLAIN.sub("", query, count=1)).consume())
    except Exception:  # evidence only: never changes the verdict
        return []


def _explain_in(session, query: str, result: Execution, guard: ProcedureGuard, database: str | None) -> bool:
    """The syntax level: the server parses and plans without running; the plan decides whether it may run.

    Fills `result` (outcome on failure, warnings, server time); True when the query may run.
    """
    try:
        summary = session.run(f"EXPLAIN {LEADING_EXPLAIN.sub('', query, count=1)}").consume()
    except Exception as exc:  # every failure here is classified, none escapes
        result.outcome, result.error_class = _classify(exc, "explain")
        result.error = _short(exc)
        return False
    result.db_ms = _server_ms(summary)
    result.warnings = _warnings(summary)
    result.syntax_ok = True
    refusal = switched_database(summary, database) or plan_refusal(summary, guard)
    if refusal:
        result.outcome = "forbidden"
        result.error_class, result.error = refusal
        return False
    return True


def explain_untrusted(driver, query: str, *, database: str | None = None) -> Execution:
    """Only the syntax level of `execute_untrusted` (nothing runs): for outputs judged from recorded rows."""
    result = Execution()
    refusal = text_refusal(driver, query, database)
    if refusal:
        result.outcome = "forbidden"
        result.error_class, result.error = refusal
        return result
    guard, home = non_read_procedures(driver, database), home_database(driver, database)
    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        _explain_in(session, query, result, guard, home)
    return result


def execute_untrusted(
    driver,
    query: str,
    *,
    timeout_s: float = DEFAULT_LIMITS.timeout_s,
    row_cap: int = DEFAULT_LIMITS.row_cap,
    database: str | None = None,
    explain: bool = True,
) -> Execution:
    """Plan `query` (EXPLAIN) where the plan could refuse it, then run it safely, once.

    `explain=False` skips the plan and the query-type check: only for trusted gold queries."""
    result = Execution()
    refusal = text_refusal(driver, query, database)
    if refusal:
        result.outcome = "forbidden"
        result.error_class, result.error = refusal
        return result
    planned = explain and needs_plan(query)
    if planned:
        guard, home = non_read_procedures(driver, database), home_database(driver, database)
    with driver.session(database=database, default_access_mode=READ_ACCESS, fetch_size=500) as session:
        # 1. sandbox: the server's plan, nothing runs (only when it could refuse: sandbox.needs_plan)
        if planned and not _explain_in(session, query, result, guard, home):
            return result
        started = time.perf_counter()
        # 2. run: the server checks access again before answering the RUN request
        try:
            records = session.run(Query(query, timeout=timeout_s))
        except Exception as exc:  # every failure here is classified, none escapes
            code = _code(exc)
            _fail(result, exc, "run" if code in RUN_ONLY_CODES else "explain", started, timeout_s)
            if code in RUN_ONLY_CODES and not planned:
                result.warnings = _plan_warnings(session, query)
            return result
        result.syntax_ok = True
        # 3. execution: streamed with a row cap under the server-side timeout
        try:
            rows: list[dict] = []
            for record in records:
                if len(rows) >= row_cap:
                    result.outcome, result.error_class = "too_many_rows", "harness.RowCap"
                    result.error = f"more than {row_cap} rows"
                    result.row_count = len(rows) + 1
                    result.db_ms += (time.perf_counter() - started) * 1000
                    try:  # discards the rest on the server, and brings the summary with its warnings
                        result.warnings = _warnings(records.consume())
                    except Exception:
                        pass
                    return result
                rows.append({key: canonical(value) for key, value in record.data().items()})
            summary = records.consume()
        except Exception as exc:
            _fail(result, exc, "run", started, timeout_s)
            if not planned:
                result.warnings = _plan_warnings(session, query)
            return result
    result.db_ms += _server_ms(summary)
    result.warnings = _warnings(summary)
    if explain and summary.query_type not in READ_ONLY_QUERY_TYPES:
        result.outcome, result.error_class = "forbidden", f"harness.QueryType.{summary.query_type}"
        result.error = f"the query is not read-only (query type {summary.query_type!r})"
        return result
    result.exec_ok = True
    result.rows = rows
    result.row_count = len(rows)
    return result
