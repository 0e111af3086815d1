"""Static checks on a gold query's text: final LIMIT, total ORDER BY, clock and randomness.

Why static as well as running it: some non-determinism never shows in two runs on the
same server (a sliced `collect()` comes back in storage order every time, an intermediate
`LIMIT` keeps the same arbitrary rows), yet it changes with a reload or another version.
String literals and comments are blanked first, so a disease called "... date ..." or a
name with "rand()" in it never trips a check.
"""

from __future__ import annotations

import re

_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)
_FINAL_LIMIT = re.compile(r"\bLIMIT\s+(\d+)\s*;?\s*$", re.I)
_CLOCK = re.compile(
    r"(?<![\w.$])(?:(?:date|datetime|localdatetime|localtime|time)\s*\(\s*\)"
    r"|(?:date|datetime|localdatetime|localtime|time)\s*\.\s*(?:realtime|statement|transaction)\s*\("
    r"|timestamp\s*\()",
    re.I,
)
_RANDOM = re.compile(
    r"(?<![\w.$])(?:rand|randomUUID|apoc\.coll\.(?:shuffle|randomItems?)|apoc\.create\.uuid)\s*\(", re.I
)
_INTERNAL_ID = re.compile(r"(?<![\w.$])(?:id|elementId)\s*\(", re.I)
_CLAUSE = re.compile(r"\b(WITH|RETURN)\b", re.I)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.I)
_LIMIT = re.compile(r"\bLIMIT\b", re.I)
_DIRECTION = re.compile(r"\s+(ASC|ASCENDING|DESC|DESCENDING)\s*$", re.I)
_ALIAS = re.compile(r"^(.*?)\s+AS\s+([A-Za-z_][\w]*)$", re.I | re.S)
_TAIL = re.compile(r"\b(ORDER\s+BY|SKIP|OFFSET|LIMIT)\b", re.I)


def blank_literals(cypher: str) -> str:
    """The query with string literals, quoted names and comments replaced by spaces."""
    return _STRING_OR_COMMENT.sub(
        lambda m: (
            m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1]
            if m.group(0)[0] in "'\"`"
            else " " * len(m.group(0))
        ),
        cypher,
    )


def final_limit(cypher: str) -> int | None:
    match = _FINAL_LIMIT.search(blank_literals(cypher))
    return int(match.group(1)) if match else None


def with_limit(cypher: str, limit: int) -> str:
    """The query with its final LIMIT replaced (lint probes whether LIMIT cut any rows)."""
    match = _FINAL_LIMIT.search(blank_literals(cypher))
    if not match:
        return cypher
    return cypher[: match.start()] + f"LIMIT {limit}"


def split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [" ".join(p.split()) for p in parts if p.strip()]


def _top_level_index(text: str, pattern: re.Pattern, start: int = 0) -> list[re.Match]:
    """Matches of `pattern` at bracket depth 0 (not inside EXISTS {...}, CALL {...}, lists)."""
    depth_at, depth = [], 0
    for char in text:
        depth_at.append(depth)
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
    return [m for m in pattern.finditer(text, start) if depth_at[m.start()] == 0]


def totally_ordered(cypher: str) -> bool:
    """True when the final RETURN is followed by an ORDER BY covering every returned column."""
    text = blank_literals(cypher)
    if re.search(r"\bUNION\b", text, re.I):
        return False
    returns = _top_level_index(text, re.compile(r"\bRETURN\b", re.I))
    if not returns:
        return False
    tail = text[returns[-1].end() :]
    tail = re.sub(r"^\s*DISTINCT\b", "", tail, flags=re.I)
    cut = _top_level_index(tail, _TAIL)
    projection = tail[: cut[0].start()] if cut else tail
    order = _top_level_index(tail, _ORDER_BY)
    if not order or projection.strip() == "*":
        return False
    after = tail[order[0].end() :]
    stop = _top_level_index(after, re.compile(r"\b(SKIP|OFFSET|LIMIT)\b", re.I))
    keys = {_DIRECTION.sub("", k) for k in split_top_level(after[: stop[0].start()] if stop else after)}
    for column in split_top_level(projection):
        match = _ALIAS.match(column)
        expression, alias = (match.group(1).strip(), match.group(2)) if match else (column, column)
        if alias not in keys and expression not in keys:
            return False
    return True


def _sliced_collect(text: str) -> int | None:
    """Where a collect() starts whose list is then sliced or indexed (directly, through its
    alias, or with head()/last()), or None."""
    for match in re.finditer(r"(?<![\w.$])collect\s*\(", text, re.I):
        depth, index = 0, match.end() - 1
        while index < len(text):
            depth += {"(": 1, ")": -1}.get(text[index], 0)
            if depth == 0:
                break
            index += 1
        before, after = text[: match.start()], text[index + 1 :]
        if after.lstrip().startswith("[") or re.search(r"(?:head|last)\s*\(\s*$", before, re.I):
            return match.start()
        alias = re.match(r"\s*AS\s+([A-Za-z_]\w*)", after, re.I)
        if alias and re.search(
            rf"(?<![\w.$]){alias.group(1)}\s*\[|(?:head|last)\s*\(\s*{alias.group(1)}\s*\)", after[alias.end() :], re.I
        ):
            return match.start()
    return None


def problems(cypher: str) -> list[tuple[str, str]]:
    """(kind, message) for every static problem: clock, nondeterministic."""
    text = blank_literals(cypher)
    found = []
    clock, random = _CLOCK.search(text), _RANDOM.search(text)
    if clock:
        found.append(("clock", f"uses the clock ({clock.group(0).strip()}...): the answer changes over time"))
    if random:
        found.append(("nondeterministic", f"uses randomness ({random.group(0).strip()}...)"))
    if _INTERNAL_ID.search(text):
        found.append(("nondeterministic", "returns or uses internal ids, which change when the graph is reloaded"))
    clauses = _top_level_index(text, _CLAUSE)
    for index, clause in enumerate(clauses[:-1]):
        segment = text[clause.start() : clauses[index + 1].start()]
        if _LIMIT.search(segment) and not _ORDER_BY.search(segment):
            found.append(("nondeterministic", "an intermediate LIMIT without ORDER BY keeps arbitrary rows"))
            break
    sliced = _sliced_collect(text)
    if sliced is not None and not _ORDER_BY.search(text[:sliced]):
        found.append(("nondeterministic", "slices a collect() whose order is not fixed by an earlier ORDER BY"))
    if final_limit(cypher) is None:
        found.append(("no_limit", "does not end in LIMIT <n>"))
    return found
