"""What an untrusted query would do, decided from the server's own plan of it (EXPLAIN runs nothing).

A text filter cannot know every spelling the Cypher parser accepts (comments inside keywords,
CALL subqueries, UNION branches, clauses after WITH, backquoted names): the plan can, because it
is the parser's own result. A query is refused when its plan holds
- a LoadCSV operator (reading a file or a URL),
- a command operator (SHOW ..., TERMINATE ...: administration commands and server introspection),
- a ProcedureCall of a procedure the server declares non-READ (DBMS procedures such as
  dbms.killConnections run in READ transactions),
- an operator on another database than the session's (`USE other ...`),
or when its query type is not read-only. The text checks (`FORBIDDEN_TEXT`, `ProcedureGuard`)
remain as a cheap first filter that spares the server a round trip for the obvious cases.

The plan is asked for only when it could refuse something: each refused operator needs one of the
keywords LOAD, CALL, SHOW, TERMINATE or USE in the query, and a Cypher keyword is one ASCII token
that no comment, blank or escape can split. A query whose text holds none of these words anywhere
(comments and strings included) cannot plan to one of them, so it runs without an EXPLAIN first
(`needs_plan`); READ access mode still refuses its writes when it runs.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from neo4j.exceptions import Neo4jError

from .extract import ADMIN_COMMAND

FORBIDDEN_TEXT = re.compile(r"\bLOAD\s+CSV\b|^\s*" + ADMIN_COMMAND, re.IGNORECASE | re.MULTILINE)
READ_ONLY_QUERY_TYPES = ("r",)
# the keywords without which no plan holds a refused operator (LoadCSV, ProcedureCall, Show*, Terminate*, USE)
PLAN_WORDS = re.compile(r"(?<![A-Za-z0-9_$])(LOAD|CALL|SHOW|TERMINATE|USE)(?![A-Za-z0-9_$])", re.IGNORECASE)
COMMAND_OPERATORS = ("Show", "Terminate", "Create", "Drop", "Alter", "Grant", "Deny", "Revoke", "Enable", "Start")
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
_guards: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_homes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_guards_lock = threading.Lock()


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

    def refuses(self, name: str) -> bool:
        return name.lower() in {known.lower() for known in self.names}


def _code_of(match: re.Match) -> str:
    text = match.group()
    if text[0] == "`":
        return text[1:-1].replace("``", "`")
    return "''" if text[0] in "'\"" else " "


def non_read_procedures(driver, database: str | None = None) -> ProcedureGuard:
    """Every procedure that is not READ mode, from the server once per driver (plugins included)."""
    with _guards_lock:
        guard = _guards.get(driver)
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
            guard = _guards[driver] = ProcedureGuard.of(names)
    return guard


def needs_plan(query: str) -> bool:
    """Whether the server's plan could refuse `query`: it holds one of PLAN_WORDS, anywhere."""
    return PLAN_WORDS.search(query) is not None


def text_refusal(driver, query: str, database: str | None) -> tuple[str, str] | None:
    """The cheap first filter: (error_class, error) for what the text alone shows, else None."""
    if FORBIDDEN_TEXT.search(query):
        return "harness.ForbiddenClause", "LOAD CSV and administration commands are not allowed"
    name = non_read_procedures(driver, database).find(query)
    if name:
        return "harness.NonReadProcedure", f"procedure {name} is not read-only and is not allowed"
    return None


def operators(plan: dict | None) -> Iterator[dict]:
    """Every operator of an EXPLAIN plan, depth first."""
    stack = [plan] if plan else []
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("children") or ())


def plan_refusal(summary, guard: ProcedureGuard) -> tuple[str, str] | None:
    """(error_class, error) when the server's plan of a query shows it must not run, else None."""
    database = summary.database
    for operator in operators(summary.plan):
        kind, _, on = str(operator.get("operatorType", "")).partition("@")
        details = str((operator.get("args") or {}).get("Details", ""))
        if kind == "LoadCSV":
            return "harness.LoadCSV", "LOAD CSV (reading a file or URL) is not allowed"
        if kind.startswith(COMMAND_OPERATORS):
            return "harness.Command", f"the command {kind} is not allowed"
        if kind == "ProcedureCall":
            name = details.split("(", 1)[0].strip()
            if guard.refuses(name) or summary.query_type not in READ_ONLY_QUERY_TYPES:
                return "harness.NonReadProcedure", f"procedure {name} is not read-only and is not allowed"
        if on and database and on != database:
            return "harness.DatabaseSwitch", f"the query reaches database {on!r}, not {database!r}"
    if summary.query_type not in READ_ONLY_QUERY_TYPES:
        return (
            f"harness.QueryType.{summary.query_type}",
            f"the plan is not read-only (query type {summary.query_type!r})",
        )
    return None


def home_database(driver, database: str | None = None) -> str | None:
    """The database a session opened with `database` works on (the server's home database for None), once per driver."""
    if database:
        return database
    with _guards_lock:
        if driver not in _homes:
            try:
                _homes[driver] = driver.execute_query("RETURN 1", routing_="r").summary.database
            except Neo4jError:
                _homes[driver] = None
        return _homes[driver]


def switched_database(summary, expected: str | None) -> tuple[str, str] | None:
    """A query whose plan runs on another database than the session's (`USE other`)."""
    if expected and summary.database and summary.database != expected:
        return "harness.DatabaseSwitch", f"the query runs on database {summary.database!r}, not {expected!r}"
    return None
