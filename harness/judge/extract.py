"""Pulling the Cypher query out of raw model text.

Models wrap queries in code fences, think blocks, labels ("Cypher:") and trailing
explanations. We keep only the first query; text with no query is `no_query`.
"""

from __future__ import annotations

import re

# Administration commands (databases, users, roles, privileges, servers, transactions): never model
# output worth running, always `forbidden`. One pattern, used by extraction and by the executor.
ADMIN_COMMAND = (
    r"(CREATE|DROP|ALTER|GRANT|DENY|REVOKE|SHOW|START|STOP|TERMINATE|RENAME|ENABLE|DEALLOCATE|REALLOCATE)\s+"
    r"(OR\s+REPLACE\s+)?(COMPOSITE\s+|STANDARD\s+)?"
    r"(USER|ROLE|DATABASE|ALIAS|SERVER|PRIVILEGE|TRANSACTION|TRANSACTIONS|COMPOSITE|USERS|ROLES|DATABASES|"
    r"SERVERS|ALIASES|PRIVILEGES|DEFAULT\s+DATABASE|HOME\s+DATABASE|IMMUTABLE|ALL|ACCESS|TRAVERSE|READ|MATCH|WRITE)\b"
)
THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
UNCLOSED_THINK = re.compile(r"<think>.*", re.DOTALL | re.IGNORECASE)
FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\n?(.*?)(?:```|$)", re.DOTALL)
CLAUSE_START = re.compile(
    r"^\s*(OPTIONAL\s+MATCH|MATCH|WITH|UNWIND|CALL|RETURN|CREATE|MERGE|DELETE|DETACH\s+DELETE|SET|REMOVE|"
    r"LOAD\s+CSV|FOREACH|EXPLAIN|PROFILE|USE|SHOW|DROP|GRANT|DENY|REVOKE|ALTER|START|STOP|TERMINATE|ORDER\s+BY|"
    r"SKIP|LIMIT|WHERE|UNION|AND|OR|NOT|//)\b",
    re.IGNORECASE,
)
QUERY_START = re.compile(
    r"^\s*(" + ADMIN_COMMAND + r"|OPTIONAL\s+MATCH|MATCH|WITH|UNWIND|CALL|RETURN|CREATE|MERGE|DETACH\s+DELETE|"
    r"DELETE|LOAD\s+CSV|FOREACH|EXPLAIN|PROFILE|USE|SHOW|DROP|GRANT|DENY|REVOKE|ALTER)\b",
    re.IGNORECASE,
)
LABEL = re.compile(r"^\s*(cypher|query|cypher query|answer)\s*:\s*", re.IGNORECASE)


def _strip_think(text: str) -> str:
    text = THINK_BLOCK.sub("", text)
    return UNCLOSED_THINK.sub("", text)


def _from_fences(text: str) -> str | None:
    blocks = [(lang.lower(), body.strip()) for lang, body in FENCE.findall(text) if body.strip()]
    for lang, body in blocks:
        if lang in ("cypher", "cql", "neo4j"):
            return body
    for _, body in blocks:
        if any(QUERY_START.match(line) for line in body.splitlines()):
            return body
    return None


def _from_prose(text: str) -> str | None:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if QUERY_START.match(LABEL.sub("", line))), None)
    if start is None:
        return None
    kept = [LABEL.sub("", lines[start])]
    for line in lines[start + 1 :]:
        if not line.strip():
            kept.append(line)
            continue
        if kept[-1].strip() == "" and not CLAUSE_START.match(line):
            break  # a blank line followed by prose ends the query
        kept.append(line)
    return "\n".join(kept).strip()


def extract_query(raw: str | None) -> str | None:
    """The first Cypher query in `raw`, without fences or trailing semicolon; None if there is none."""
    if not raw or not raw.strip():
        return None
    text = _strip_think(raw)
    query = _from_fences(text) if "```" in text else None
    if query is None:
        query = _from_prose(text)
    if not query:
        return None
    statements = [part.strip() for part in _split_statements(query) if part.strip()]
    return statements[0] if statements else None


def _split_statements(query: str) -> list[str]:
    """Split on semicolons outside string literals (a model may append `;` or a second statement)."""
    if ";" not in query:
        return [query]
    parts, current, quote = [], [], None
    for char in query:
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in ("'", '"', "`"):
            quote = char
            current.append(char)
        elif char == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts
