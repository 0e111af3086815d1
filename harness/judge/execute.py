"""Running untrusted Cypher against the live graph, safely, and classifying what happened.

Every generated query is first EXPLAINed (the server's parser and semantic
analysis: the syntax level), refused unless its plan is read-only, then run in a
READ transaction with a server-side timeout, a row cap (streamed, never fetched
whole) and the server's transaction memory limit. Errors are classified from the
server's own status codes, never from message text where a code exists.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from neo4j import READ_ACCESS, Query
from neo4j.exceptions import ClientError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from .canonical import canonical
from .extract import ADMIN_COMMAND

FORBIDDEN_TEXT = re.compile(r"\bLOAD\s+CSV\b|^\s*" + ADMIN_COMMAND, re.IGNORECASE | re.MULTILINE)
LEADING_EXPLAIN = re.compile(r"^\s*(EXPLAIN|PROFILE)\b", re.IGNORECASE)
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
READ_ONLY_QUERY_TYPES = ("r",)


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
    """(outcome, error_class) for a failure at `stage` ('explain' or 'run')."""
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


def _forbidden_text(query: str, result: Execution) -> bool:
    """Refuse, before the server sees them, clauses no read-only question needs."""
    if not FORBIDDEN_TEXT.search(query):
        return False
    result.outcome, result.error_class = "forbidden", "harness.ForbiddenClause"
    result.error = "LOAD CSV and administration commands are not allowed"
    return True


def _explain_in(session, query: str, result: Execution) -> bool:
    """The syntax level: the server parses and plans without running; the plan must be read-only.

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
    if summary.query_type not in READ_ONLY_QUERY_TYPES:
        result.outcome, result.error_class = "forbidden", f"harness.QueryType.{summary.query_type}"
        result.error = f"the plan is not read-only (query type {summary.query_type!r})"
        return False
    return True


def explain_untrusted(driver, query: str, *, database: str | None = None) -> Execution:
    """Only the syntax level of `execute_untrusted` (nothing runs): for outputs judged from recorded rows."""
    result = Execution()
    if _forbidden_text(query, result):
        return result
    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        _explain_in(session, query, result)
    return result


def execute_untrusted(
    driver,
    query: str,
    *,
    timeout_s: float = 10.0,
    row_cap: int = 5000,
    database: str | None = None,
    explain: bool = True,
) -> Execution:
    """Run `query` safely. `explain=False` skips the syntax/plan check: only for trusted gold queries."""
    result = Execution()
    if _forbidden_text(query, result):
        return result
    with driver.session(database=database, default_access_mode=READ_ACCESS, fetch_size=500) as session:
        if explain and not _explain_in(session, query, result):
            return result
        result.syntax_ok = True
        # 2. execution: an auto-commit READ transaction with a server-side timeout, streamed with a row cap
        started = time.perf_counter()
        try:
            records = session.run(Query(query, timeout=timeout_s))
            rows = []
            for record in records:
                if len(rows) >= row_cap:
                    result.outcome, result.error_class = "too_many_rows", "harness.RowCap"
                    result.error = f"more than {row_cap} rows"
                    result.row_count = len(rows) + 1
                    result.db_ms += (time.perf_counter() - started) * 1000
                    return result  # closing the session discards the rest on the server
                rows.append({key: canonical(value) for key, value in record.data().items()})
            summary = records.consume()
            result.db_ms += _server_ms(summary)
            result.warnings += [w for w in _warnings(summary) if w not in result.warnings]
        except Exception as exc:
            result.outcome, result.error_class = _classify(exc, "run" if explain else "explain")
            result.syntax_ok = explain and result.outcome != "syntax_error"
            result.error = _short(exc)
            result.db_ms += (time.perf_counter() - started) * 1000
            if result.outcome == "timeout":
                result.error = f"exceeded the {timeout_s:g}s transaction timeout"
            return result
    result.exec_ok = True
    result.rows = rows
    result.row_count = len(rows)
    return result
