"""Running untrusted Cypher against the live graph, safely, and classifying what happened.

Every generated query is run once, in an auto-commit READ transaction with a
server-side timeout, a row cap (streamed, never fetched whole) and the server's
transaction memory limit. The server parses, plans and checks access before it
runs anything: a syntax or semantic error fails the RUN request itself (the syntax
level, as an EXPLAIN would), any write is refused there by READ access mode, and
the run's summary carries the query type and the unknown label/property warnings.
What READ mode would let through is refused before sending: LOAD CSV,
administration commands and procedures the server declares non-READ (DBMS mode
ones such as dbms.killConnections run in READ transactions). Errors are classified
from the server's own status codes, never from message text where a code exists.
`explain_untrusted` is the syntax level alone (nothing runs), for outputs judged from
recorded rows.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from dataclasses import dataclass, field

from neo4j import READ_ACCESS, Query
from neo4j.exceptions import ClientError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from .canonical import canonical
from .extract import ADMIN_COMMAND
from .limits import DEFAULT_LIMITS

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
# refused at RUN although the query parses and plans (an EXPLAIN would have passed): execution-level errors
RUN_ONLY_CODES = ("Neo.ClientError.Statement.ParameterMissing",)
READ_ONLY_QUERY_TYPES = ("r",)
# Neo4j 5.26 Community's procedures that are not READ mode (SHOW PROCEDURES); the server's own list is added
NON_READ_PROCEDURES = frozenset(
    {
        "db.clearQueryCaches",
        "dbms.cluster.routing.getRoutingTable",
        "dbms.components",
        "dbms.info",
        "dbms.killConnection",
        "dbms.killConnections",
        "dbms.listCapabilities",
        "dbms.listConfig",
        "dbms.listConnections",
        "dbms.queryJmx",
        "dbms.routing.getRoutingTable",
        "tx.getMetaData",
        "tx.setMetaData",
        "db.index.vector.createNodeIndex",
        "db.create.setNodeVectorProperty",
        "db.create.setRelationshipVectorProperty",
        "db.create.setVectorProperty",
        "db.createLabel",
        "db.createProperty",
        "db.createRelationshipType",
        "dbms.upgrade",
    }
)
# what is not code: comments, string literals, and the quotes around `escaped` names, matched left to right
NOT_CODE = re.compile(r"/\*.*?\*/|//[^\n]*|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`(?:[^`]|``)*`", re.DOTALL)
_procedure_guards: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_procedure_lock = threading.Lock()


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


@dataclass(frozen=True)
class ProcedureGuard:
    """Finds calls of given procedures in query text, whatever the blanks, comments or backticks in the name."""

    names: frozenset[str]
    last_parts: tuple[str, ...]
    pattern: re.Pattern

    @classmethod
    def of(cls, names) -> ProcedureGuard:
        names = frozenset(names)
        parts = [name.split(".") for name in sorted(names)]
        alternatives = "|".join(r"\s*\.\s*".join(map(re.escape, name)) for name in parts)
        pattern = re.compile(r"(?<![\w$])(?:" + alternatives + r")(?![\w$])", re.IGNORECASE)
        return cls(names, tuple(sorted({name[-1].lower() for name in parts})), pattern)

    def find(self, query: str) -> str | None:
        lowered = query.lower()
        if not any(part in lowered for part in self.last_parts):  # the common case: nothing to look at
            return None
        found = self.pattern.search(NOT_CODE.sub(_code_of, query))
        return "".join(found.group().split()) if found else None


def _code_of(match: re.Match) -> str:
    text = match.group()
    if text[0] == "`":
        return text[1:-1].replace("``", "`")
    return "''" if text[0] in "'\"" else " "


def non_read_procedures(driver, database: str | None = None) -> ProcedureGuard:
    """Every procedure that is not READ mode, from the server once per driver (plugins included).

    READ access mode refuses the WRITE and SCHEMA ones when they run, but DBMS ones
    (dbms.killConnections, db.clearQueryCaches) would run in a READ transaction."""
    with _procedure_lock:
        guard = _procedure_guards.get(driver)
        if guard is None:
            names = set(NON_READ_PROCEDURES)
            try:
                records, _, _ = driver.execute_query(
                    "SHOW PROCEDURES YIELD name, mode WHERE mode <> 'READ' RETURN name",
                    database_=database,
                    routing_="r",
                )
                names.update(record["name"] for record in records)
            except Neo4jError:
                pass  # no privilege to list procedures: the built-in list still applies
            guard = _procedure_guards[driver] = ProcedureGuard.of(names)
    return guard


def _refusal(driver, query: str, database: str | None) -> tuple[str, str] | None:
    """(error_class, error) when the query must not be sent at all."""
    if FORBIDDEN_TEXT.search(query):
        return "harness.ForbiddenClause", "LOAD CSV and administration commands are not allowed"
    name = non_read_procedures(driver, database).find(query)
    if name:
        return "harness.NonReadProcedure", f"procedure {name} is not read-only and is not allowed"
    return None


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
    timeout_s: float = DEFAULT_LIMITS.timeout_s,
    row_cap: int = DEFAULT_LIMITS.row_cap,
    database: str | None = None,
    explain: bool = True,
) -> Execution:
    """Run `query` safely, once. `explain=False` skips the query-type check: only for trusted gold queries."""
    result = Execution()
    refusal = _refusal(driver, query, database)
    if refusal:
        result.outcome = "forbidden"
        result.error_class, result.error = refusal
        return result
    with driver.session(database=database, default_access_mode=READ_ACCESS, fetch_size=500) as session:
        started = time.perf_counter()
        # 1. syntax: the server parses, plans and checks access before answering the RUN request
        try:
            records = session.run(Query(query, timeout=timeout_s))
        except Exception as exc:  # every failure here is classified, none escapes
            code = _code(exc)
            _fail(result, exc, "run" if code in RUN_ONLY_CODES else "explain", started, timeout_s)
            if code in RUN_ONLY_CODES:
                result.warnings = _plan_warnings(session, query)
            return result
        result.syntax_ok = True
        # 2. execution: streamed with a row cap under the server-side timeout
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
