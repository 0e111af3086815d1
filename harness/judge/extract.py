"""Pulling the Cypher query out of raw model text.

Models wrap queries in code fences, think blocks, labels ("Cypher:") and trailing
explanations. We keep only the first query; text with no query is `no_query`.
Comments are blanks wherever the server accepts them: where a query starts, where it
continues and where a statement ends are decided on the text with its comments blanked
out (`blank_comments`), and the query keeps its comments (the server ignores them).
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
# code that cannot end a query: a keyword or operator waiting for more (the next lines continue it,
# blank lines between or not)
DANGLING = re.compile(
    r"(\b(LOAD|OPTIONAL|ORDER|DETACH|BY|CSV|HEADERS|FROM|AS|WITH|WHERE|AND|OR|XOR|NOT|RETURN|MATCH|UNWIND|"
    r"DISTINCT|IN|IS|SET|CALL|UNION|ALL|YIELD|SKIP|LIMIT|CASE|WHEN|THEN|ELSE)|[,(\[{=<>+\-*/.:|])\s*$",
    re.IGNORECASE,
)
# QUERY_START at the start of any line, its keywords free to continue on the next lines (LOAD\nCSV)
QUERY_START_AT_LINE = re.compile(QUERY_START.pattern, re.IGNORECASE | re.MULTILINE)
QUERY_KEYWORD = re.compile(QUERY_START.pattern.replace(r"^\s*", "", 1), re.IGNORECASE)
# comments and string literals, left to right (a `//` inside a string is not a comment)
COMMENT_OR_STRING = re.compile(
    r"/\*.*?(?:\*/|$)|//[^\n]*|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|`(?:[^`\n]|``)*`", re.DOTALL
)


def blank_comments(text: str, strings: bool = False) -> str:
    """`text` with every comment (and, with `strings`, every string literal) replaced by blanks of the
    same length, newlines kept: positions and lines stay those of the original."""

    def blank(match: re.Match) -> str:
        part = match.group()
        if part[0] in "'\"`" and not strings:
            return part
        return re.sub(r"[^\n]", " ", part)

    return COMMENT_OR_STRING.sub(blank, text)


def _strip_think(text: str) -> str:
    text = THINK_BLOCK.sub("", text)
    return UNCLOSED_THINK.sub("", text)


def _from_fences(text: str) -> str | None:
    blocks = [(lang.lower(), body.strip()) for lang, body in FENCE.findall(text) if body.strip()]
    for lang, body in blocks:
        if lang in ("cypher", "cql", "neo4j"):
            return body
    for _, body in blocks:
        if QUERY_START_AT_LINE.search(blank_comments(body)):
            return body
    return None


def _query_line(code: list[str]) -> tuple[int, int] | None:
    """(line, column) where the first query starts, after any label; None if no line starts one."""
    joined = "\n".join(code)
    position = 0
    for index, line in enumerate(code):
        label = LABEL.match(line)
        column = label.end() if label else 0
        rest = line[column:]
        column += len(rest) - len(rest.lstrip())
        if rest.strip() and QUERY_KEYWORD.match(joined, position + column):
            return index, column
        position += len(line) + 1
    return None


def _from_prose(text: str) -> str | None:
    lines = text.split("\n")
    code = blank_comments(text).split("\n")
    start = _query_line(code)
    if start is None:
        return None
    found, offset = start
    kept = [lines[found][offset:]]  # from the first character of code: leading comments and labels dropped
    last_code, open_code = code[found], code[found]
    for line, line_code in zip(lines[found + 1 :], code[found + 1 :]):
        ends = not last_code.strip() and not CLAUSE_START.match(line_code) and not DANGLING.search(open_code)
        if line_code.strip() and ends:
            break  # a blank (or comment-only) line followed by prose ends the query
        kept.append(line)
        last_code = line_code
        if line_code.strip():
            open_code = line_code
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
    """Split on semicolons outside comments and string literals (a model may append `;` or a second statement)."""
    if ";" not in query:
        return [query]
    code = blank_comments(query, strings=True)
    cuts = [index for index, char in enumerate(code) if char == ";"]
    bounds = zip([-1, *cuts], [*cuts, len(query)])
    parts = [query[begin + 1 : end] for begin, end in bounds]
    return [part for part in parts if blank_comments(part).strip()]
