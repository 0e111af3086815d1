"""Mutants that no graph the loader can build tells apart from their gold, each with its reason.

A survivor that every variant leaves alive is either a near miss the variants have not yet
caught or a query that means the same as the gold. Only the second kind may leave the kill
rate's denominator, and only when a rule here shows it; each rule is sound for every graph
`graph load` builds (see `graph/loader.py`), never a judgement call:

- `implied_label`: a label swapped for another that the node's relationship already implies.
  The loader creates VARIANT_OF only from Variant nodes and labels every Variant `Biomarker`,
  so `(v:Variant)-[:VARIANT_OF]->` and `(v:Biomarker)-[:VARIANT_OF]->` match the same nodes.
- `distinct_under_distinct`: DISTINCT added to or dropped from a WITH when the query ends in
  RETURN DISTINCT and nothing after the WITH counts rows (no aggregate, SKIP or LIMIT before
  the RETURN): repeated rows only repeat output rows that RETURN DISTINCT folds anyway.
- `distinct_on_grouped_rows`: DISTINCT toggled on a projection whose rows are already unique:
  one that aggregates (one row per grouping key), or a RETURN right after an aggregating WITH
  that passes on all of its grouping keys.
- `optional_then_required`: MATCH made OPTIONAL when a later MATCH of the same query part
  needs a node the optional pattern introduces: a row the optional pattern fails gets null
  there, and the later MATCH drops it, as the plain MATCH did.
- `count_of_bound`: count(x) made count(*) where x is bound by a plain MATCH, so never null.
- `null_guard_before_match`: `WHERE x IS NOT NULL` dropped where a later MATCH of the same
  query part needs the node x: that MATCH drops the rows where x is null anyway.
"""

from __future__ import annotations

import re

from ..cypher.mutants import Mutant
from ..cypher.scan import split_top_level
from ..cypher.tokens import Token, depths, matching, next_significant, render, tokenize

AGGREGATES = {"COUNT", "COLLECT", "SUM", "AVG", "MIN", "MAX", "STDEV", "STDEVP", "PERCENTILECONT", "PERCENTILEDISC"}
CLAUSE_WORDS = {"MATCH", "OPTIONAL", "WITH", "RETURN", "UNWIND", "CALL", "UNION", "ORDER", "SKIP", "LIMIT"}
# The labels a relationship's endpoint always has in a graph the loader built.
IMPLIED = {
    ("VARIANT_OF", "source"): {"Variant", "Biomarker"},
    ("VARIANT_OF", "target"): {"Gene"},
    ("TARGETS", "source"): {"Therapy"},
    ("TARGETS", "target"): {"Gene"},
    ("AFFECTS_RESPONSE_TO", "source"): {"Biomarker"},
    ("AFFECTS_RESPONSE_TO", "target"): {"Therapy"},
}


def _first_difference(gold: list[Token], mutant: list[Token]) -> int:
    for i, (a, b) in enumerate(zip(gold, mutant)):
        if a.text != b.text:
            return i
    return min(len(gold), len(mutant))


def _clauses(tokens: list[Token]) -> list[int]:
    """Indices of the top-level clause words (OPTIONAL for OPTIONAL MATCH)."""
    level, out = depths(tokens), []
    for i, token in enumerate(tokens):
        if token.kind != "word" or level[i] or token.upper not in CLAUSE_WORDS:
            continue
        before = next_significant(tokens, i, -1)
        if token.upper == "MATCH" and before is not None and tokens[before].upper == "OPTIONAL":
            continue
        out.append(i)
    return out


def _clause_at(tokens: list[Token], index: int) -> tuple[int, int]:
    """(start, end) of the top-level clause holding token `index`."""
    starts = _clauses(tokens)
    start = max((s for s in starts if s <= index), default=0)
    end = min((s for s in starts if s > start), default=len(tokens))
    return start, end


def _aggregates(tokens: list[Token], start: int, end: int) -> bool:
    for i in range(start, end):
        nxt = next_significant(tokens, i)
        if tokens[i].kind == "word" and tokens[i].upper in AGGREGATES and nxt is not None and tokens[nxt].text == "(":
            return True
    return False


def _relationship(tokens: list[Token], open_bracket: int) -> str | None:
    """The single type of the relationship pattern `[...]` at `open_bracket`, if it has exactly one."""
    close = matching(tokens, open_bracket)
    inner = [t for t in tokens[open_bracket + 1 : close] if t.significant] if close else []
    words = [t.text for t in inner if t.kind == "word"]
    if not inner or any(t.text in ("|", "*", "{") for t in inner):
        return None
    colon = [i for i, t in enumerate(inner) if t.text == ":"]
    if len(colon) != 1 or colon[0] + 1 >= len(inner) or inner[colon[0] + 1].kind != "word":
        return None
    return inner[colon[0] + 1].text if words else None


def _roles(tokens: list[Token], label_index: int) -> list[tuple[str, str]]:
    """(relationship type, source|target) of each relationship the node pattern holding the label touches."""
    level = depths(tokens)
    open_paren = next(
        (j for j in range(label_index, -1, -1) if tokens[j].text == "(" and level[j] < level[label_index]), None
    )
    close = matching(tokens, open_paren) if open_paren is not None else None
    if open_paren is None or close is None:
        return []
    out = []
    arrow = next_significant(tokens, close)
    if arrow is not None and tokens[arrow].text in ("-", "<-"):
        bracket = next_significant(tokens, arrow)
        if bracket is not None and tokens[bracket].text == "[":
            end = matching(tokens, bracket)
            after = next_significant(tokens, end) if end is not None else None
            kind = _relationship(tokens, bracket)
            if kind and after is not None:
                pair = (tokens[arrow].text, tokens[after].text)
                role = {("-", "->"): "source", ("<-", "-"): "target"}.get(pair)
                if role:
                    out.append((kind, role))
    arrow = next_significant(tokens, open_paren, -1)
    if arrow is not None and tokens[arrow].text in ("->", "-"):
        end = next_significant(tokens, arrow, -1)
        if end is not None and tokens[end].text == "]":
            bracket = next(
                (j for j in range(end, -1, -1) if tokens[j].text == "[" and matching(tokens, j) == end), None
            )
            before = next_significant(tokens, bracket, -1) if bracket is not None else None
            kind = _relationship(tokens, bracket) if bracket is not None else None
            if kind and before is not None:
                role = {("-", "->"): "target", ("<-", "-"): "source"}.get((tokens[before].text, tokens[arrow].text))
                if role:
                    out.append((kind, role))
    return out


def implied_label(gold: list[Token], mutant: list[Token], m: Mutant) -> str | None:
    if m.rule != "swap_label_or_type" or len(gold) != len(mutant):
        return None
    i = _first_difference(gold, mutant)
    old, new = gold[i].text, mutant[i].text
    for kind, role in _roles(gold, i):
        if {old, new} <= IMPLIED[(kind, role)]:
            return f"every {role} of {kind} is both {old} and {new}"
    return None


def _distinct_clause(gold: list[Token], mutant: list[Token]) -> int:
    i = _first_difference(gold, mutant)
    return next(j for j in range(i, -1, -1) if gold[j].kind == "word" and gold[j].upper in ("WITH", "RETURN"))


def distinct_under_distinct(gold: list[Token], mutant: list[Token], m: Mutant) -> str | None:
    if m.rule != "toggle_distinct" or not m.detail.startswith("WITH"):
        return None
    start, _ = _clause_at(gold, _distinct_clause(gold, mutant))
    clauses = _clauses(gold)
    returns = [c for c in clauses if gold[c].upper == "RETURN"]
    if len(returns) != 1 or any(gold[c].upper in ("UNION", "CALL") for c in clauses):
        return None
    distinct = next_significant(gold, returns[0])
    if distinct is None or gold[distinct].upper != "DISTINCT":
        return None
    if _aggregates(gold, start, len(gold)):
        return None
    if any(gold[c].upper in ("SKIP", "LIMIT") for c in clauses if start < c < returns[0]):
        return None
    return "the query ends in RETURN DISTINCT and nothing after this WITH counts rows"


def _items(tokens: list[Token], start: int, end: int) -> list[str]:
    """Projection items of the WITH/RETURN at `start` (up to its WHERE, ORDER BY, SKIP, LIMIT)."""
    level, stop = depths(tokens), end
    for j in range(start + 1, end):
        if level[j] == level[start] and tokens[j].kind == "word" and tokens[j].upper in ("WHERE",):
            stop = j
            break
    text = render([t for t in tokens[start + 1 : stop] if not (t.kind == "word" and t.upper == "DISTINCT")])
    return [" ".join(item.split()) for item in split_top_level(text)]


def _alias(item: str) -> str:
    words = item.split()
    return words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else item


def distinct_on_grouped_rows(gold: list[Token], mutant: list[Token], m: Mutant) -> str | None:
    if m.rule != "toggle_distinct":
        return None
    start, end = _clause_at(gold, _distinct_clause(gold, mutant))
    if _aggregates(gold, start, end):
        return f"this {gold[start].upper} aggregates: one row per grouping key already"
    clauses = _clauses(gold)
    before = [c for c in clauses if c < start]
    if gold[start].upper != "RETURN" or not before or gold[before[-1]].upper != "WITH":
        return None
    previous = before[-1]
    if not _aggregates(gold, previous, start):
        return None
    keys = {_alias(item) for item in _items(gold, previous, start) if "(" not in item}
    projected = {item.split()[0] for item in _items(gold, start, end)}
    if keys and keys <= projected:
        return "the RETURN passes on every grouping key of the aggregating WITH before it"
    return None


def _bound_in_match(tokens: list[Token], name: str, optional: bool) -> list[int]:
    """Clause starts of (OPTIONAL) MATCH clauses whose pattern mentions variable `name`."""
    out = []
    for start in _clauses(tokens):
        word = tokens[start].upper
        if (word == "OPTIONAL") != optional or word not in ("MATCH", "OPTIONAL"):
            continue
        _, end = _clause_at(tokens, start)
        for j in range(start, end):
            if tokens[j].upper == "WHERE" and depths(tokens)[j] == 0:
                break
            before = next_significant(tokens, j, -1)
            if tokens[j].text == name and before is not None and tokens[before].text in ("(", "["):
                out.append(start)
                break
    return out


def optional_then_required(gold: list[Token], mutant: list[Token], m: Mutant) -> str | None:
    if m.rule != "toggle_optional" or m.detail != "MATCH -> OPTIONAL MATCH":
        return None
    start, end = _clause_at(gold, _first_difference(gold, mutant))
    earlier = {t.text for t in gold[:start] if t.kind == "word"}  # any earlier mention: maybe bound already
    level = depths(gold)
    pattern_end = next((j for j in range(start + 1, end) if gold[j].upper == "WHERE" and level[j] == 0), end)
    introduced = {
        gold[j].text
        for j in range(start + 1, pattern_end)
        if gold[j].kind == "word" and gold[j - 1].text == "(" and gold[j].text not in earlier
    }
    later = [c for c in _clauses(gold) if c > start]
    stop = next((c for c in later if gold[c].upper in ("WITH", "RETURN", "UNION", "CALL")), len(gold))
    for name in sorted(introduced):
        if any(start < c < stop for c in _bound_in_match(gold, name, optional=False)):
            return f"a later MATCH needs {name}, which the optional pattern introduces"
    return None


NULL_GUARD = re.compile(r":\s*(\w+)\s+IS\s+NOT\s+NULL$", re.I)


def null_guard_before_match(gold: list[Token], mutant: list[Token], m: Mutant) -> str | None:
    guard = NULL_GUARD.search(m.detail) if m.rule == "drop_conjunct" else None
    if guard is None:
        return None
    name, at = guard.group(1), _first_difference(gold, mutant)
    later = [c for c in _clauses(gold) if c > at]
    stop = next((c for c in later if gold[c].upper in ("WITH", "RETURN", "UNION", "CALL")), len(gold))
    if any(at < c < stop for c in _bound_in_match(gold, name, optional=False)):
        return f"a later MATCH needs {name}, so rows where it is null go anyway"
    return None


def count_of_bound(gold: list[Token], mutant: list[Token], m: Mutant) -> str | None:
    if m.rule != "change_aggregation" or m.detail != "count(x) -> count(*)":
        return None
    i = _first_difference(gold, mutant)
    argument = gold[i] if gold[i].kind == "word" else None
    close = next_significant(gold, i)
    if argument is None or close is None or gold[close].text != ")":
        return None
    if _bound_in_match(gold, argument.text, optional=False) and not _bound_in_match(gold, argument.text, optional=True):
        return f"{argument.text} is bound by a plain MATCH, so never null"
    return None


RULES = {
    "implied_label": implied_label,
    "distinct_under_distinct": distinct_under_distinct,
    "distinct_on_grouped_rows": distinct_on_grouped_rows,
    "optional_then_required": optional_then_required,
    "count_of_bound": count_of_bound,
    "null_guard_before_match": null_guard_before_match,
}


def equivalence(gold_cypher: str, mutant: Mutant) -> tuple[str, str] | None:
    """(rule, reason) when a rule shows `mutant` returns the gold's rows on every loadable graph."""
    gold, changed = tokenize(gold_cypher), tokenize(mutant.cypher)
    for name, rule in RULES.items():
        reason = rule(gold, changed, mutant)
        if reason:
            return name, reason
    return None
