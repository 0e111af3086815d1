"""Near-miss mutants of a gold query: the wrong answers a model is likely to give.

Each rule rewrites the token stream in one place (flip a relationship's direction, swap a
type or label, drop a WHERE conjunct, swap an entity literal, toggle DISTINCT/OPTIONAL,
swap any/all, AND/OR, =/<>, change an aggregation, drop or flip ORDER BY, change LIMIT).
A mutant that returns the gold's rows is a wrong query execution accuracy would accept:
test-suite accuracy needs graph variants on which it returns something else. Mutants are
plain text; `accepted` keeps those the server parses and plans as read-only.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..graph.schema import NODE_KEYS, RELATIONSHIP_TYPES
from .tokens import (
    Token,
    depths,
    matching,
    next_significant,
    render,
    string_literal,
    string_value,
    tokenize,
)

LABELS = (*NODE_KEYS, "Biomarker")
CLAUSES = {"RETURN", "WITH", "MATCH", "OPTIONAL", "UNWIND", "ORDER", "SKIP", "LIMIT", "UNION", "CALL", "WHERE"}
AGGREGATE_SWAPS = {"SUM": "AVG", "AVG": "SUM", "MIN": "MAX", "MAX": "MIN"}
DISTINCT_AGGREGATES = {"COUNT", "COLLECT", "SUM", "AVG"}


@dataclass(frozen=True)
class Mutant:
    rule: str
    detail: str
    cypher: str


@dataclass
class Vocabulary:
    """Entity names per kind (Gene, Therapy, ..., effect, disease_token), for literal swaps."""

    names: dict[str, list[str]] = field(default_factory=dict)
    per_literal: int = 2
    seed: int = 0

    def kind_of(self, value: str) -> str | None:
        lowered = value.lower()
        for kind, names in self.names.items():
            if any(name.lower() == lowered for name in names):
                return kind
        return None

    def alternatives(self, value: str) -> list[str]:
        kind = self.kind_of(value)
        if kind is None:
            return []
        others = sorted({n for n in self.names[kind] if n.lower() != value.lower()})
        rng = random.Random(f"{self.seed}:{kind}:{value.lower()}")
        return rng.sample(others, min(self.per_literal, len(others)))


def _replace(tokens: list[Token], changes: dict[int, str]) -> str:
    return render([Token(t.kind, changes[i]) if i in changes else t for i, t in enumerate(tokens)])


def _at(tokens: list[Token], index: int) -> str:
    """Where a token starts, as `line:column` of the query (for details people read)."""
    before = render(tokens[:index])
    return f"{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


def _word_indices(tokens: list[Token], *words: str) -> list[int]:
    wanted = set(words)
    return [i for i, t in enumerate(tokens) if t.kind == "word" and t.upper in wanted]


def flip_direction(tokens, vocab) -> Iterator[tuple[str, str]]:
    for i, token in enumerate(tokens):
        if token.kind != "op" or token.text != "[":
            continue
        before, close = next_significant(tokens, i, -1), matching(tokens, i)
        after = next_significant(tokens, close) if close is not None else None
        if before is None or after is None:
            continue
        pair = (tokens[before].text, tokens[after].text)
        if pair == ("-", "->"):
            yield f"pattern at {_at(tokens, i)} reversed", _replace(tokens, {before: "<-", after: "-"})
        elif pair == ("<-", "-"):
            yield f"pattern at {_at(tokens, i)} reversed", _replace(tokens, {before: "-", after: "->"})


def swap_label_or_type(tokens, vocab) -> Iterator[tuple[str, str]]:
    for i, token in enumerate(tokens):
        before = next_significant(tokens, i, -1)
        if token.kind != "word" or before is None or tokens[before].text not in (":", "|"):
            continue
        pool = LABELS if token.text in LABELS else RELATIONSHIP_TYPES if token.text in RELATIONSHIP_TYPES else ()
        for other in pool:
            if other != token.text:
                yield f"{token.text} -> {other} at {_at(tokens, i)}", _replace(tokens, {i: other})


def _where_end(tokens: list[Token], start: int, level: list[int]) -> int:
    """Index just past a WHERE's expression: the next clause word or closing bracket at its depth."""
    base = level[start]
    for j in range(start + 1, len(tokens)):
        token = tokens[j]
        if level[j] < base:
            return j
        if level[j] == base and token.kind == "word" and token.upper in CLAUSES:
            return j
    return len(tokens)


def drop_conjunct(tokens, vocab) -> Iterator[tuple[str, str]]:
    level = depths(tokens)
    for start in _word_indices(tokens, "WHERE"):
        end = _where_end(tokens, start, level)
        ands = [j for j in range(start + 1, end) if level[j] == level[start] and tokens[j].upper == "AND"]
        bounds = [start, *ands, end]
        if not ands:
            dropped = " ".join(render(tokens[start + 1 : end]).split())
            yield (
                f"whole WHERE at {_at(tokens, start)}: {dropped}",
                render(tokens[:start] + [Token("ws", " ")] + tokens[end:]),
            )
            continue
        for k in range(len(bounds) - 1):
            # drop conjunct k with the AND before it (or, for the first, the AND after it)
            lo, hi = (bounds[k], bounds[k + 1]) if k else (bounds[0] + 1, bounds[1] + 1)
            dropped = " ".join(render(tokens[bounds[k] + 1 : bounds[k + 1]]).split())
            detail = f"conjunct {k + 1} of {len(bounds) - 1} of WHERE at {_at(tokens, start)}: {dropped}"
            yield detail, render(tokens[:lo] + [Token("ws", " ")] + tokens[hi:])


def swap_entity(tokens, vocab) -> Iterator[tuple[str, str]]:
    literals: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        if token.kind == "string":
            literals.setdefault(string_value(token).lower(), []).append(i)
    for value, places in literals.items():
        for other in vocab.alternatives(string_value(tokens[places[0]])):
            yield f"{value!r} -> {other!r}", _replace(tokens, {i: string_literal(other) for i in places})


def toggle_distinct(tokens, vocab) -> Iterator[tuple[str, str]]:
    for i in _word_indices(tokens, "RETURN", "WITH"):
        nxt = next_significant(tokens, i)
        if nxt is not None and tokens[nxt].upper == "DISTINCT":
            yield f"{tokens[i].upper} without DISTINCT", render(tokens[: i + 1] + tokens[nxt + 1 :])
        else:
            yield f"{tokens[i].upper} DISTINCT", _replace(tokens, {i: tokens[i].text + " DISTINCT"})


def toggle_optional(tokens, vocab) -> Iterator[tuple[str, str]]:
    level = depths(tokens)
    for i in _word_indices(tokens, "MATCH"):
        before = next_significant(tokens, i, -1)
        if before is not None and tokens[before].upper == "OPTIONAL":
            yield "OPTIONAL MATCH -> MATCH", render(tokens[:before] + tokens[i:])
        elif level[i] == 0 and before is not None:
            yield "MATCH -> OPTIONAL MATCH", _replace(tokens, {i: "OPTIONAL " + tokens[i].text})


def _swap_words(pairs: dict[str, str], function_only: bool = False):
    def rule(tokens, vocab) -> Iterator[tuple[str, str]]:
        for i, token in enumerate(tokens):
            if token.kind != "word" or token.upper not in pairs:
                continue
            nxt = next_significant(tokens, i)
            if function_only and (nxt is None or tokens[nxt].text != "("):
                continue
            yield f"{token.text} -> {pairs[token.upper]} at {_at(tokens, i)}", _replace(tokens, {i: pairs[token.upper]})

    return rule


def swap_comparison(tokens, vocab) -> Iterator[tuple[str, str]]:
    for i, token in enumerate(tokens):
        if token.kind == "op" and token.text in ("=", "<>"):
            other = "<>" if token.text == "=" else "="
            yield f"{token.text} -> {other} at {_at(tokens, i)}", _replace(tokens, {i: other})


def change_aggregation(tokens, vocab) -> Iterator[tuple[str, str]]:
    for i, token in enumerate(tokens):
        nxt = next_significant(tokens, i)
        if token.kind != "word" or nxt is None or tokens[nxt].text != "(":
            continue
        name = token.upper
        if name in AGGREGATE_SWAPS:
            yield (
                f"{token.text} -> {AGGREGATE_SWAPS[name].lower()}",
                _replace(tokens, {i: AGGREGATE_SWAPS[name].lower()}),
            )
        if name in DISTINCT_AGGREGATES:
            inner = next_significant(tokens, nxt)
            if inner is not None and tokens[inner].upper == "DISTINCT":
                yield (
                    f"{token.text}(DISTINCT ...) -> {token.text}(...)",
                    render(tokens[: nxt + 1] + tokens[inner + 1 :]),
                )
            elif inner is not None and tokens[inner].text != "*":
                yield f"{token.text}(...) -> {token.text}(DISTINCT ...)", _replace(tokens, {nxt: "(DISTINCT "})
        if name == "COUNT":
            close = matching(tokens, nxt)
            if close is not None and render(tokens[nxt + 1 : close]).strip() != "*":
                yield "count(x) -> count(*)", render(tokens[: nxt + 1] + [Token("op", "*")] + tokens[close:])


def change_order(tokens, vocab) -> Iterator[tuple[str, str]]:
    level = depths(tokens)
    for i in _word_indices(tokens, "ORDER"):
        by = next_significant(tokens, i)
        if by is None or tokens[by].upper != "BY":
            continue
        end = next(
            (
                j
                for j in range(by + 1, len(tokens))
                if level[j] <= level[i] and tokens[j].upper in ("SKIP", "LIMIT", "RETURN", "WITH", "UNION", ")", "}")
            ),
            len(tokens),
        )
        yield "ORDER BY dropped", render(tokens[:i] + tokens[end:])
        for j in range(by + 1, end):
            if tokens[j].upper in ("ASC", "ASCENDING", "DESC", "DESCENDING"):
                flipped = "DESC" if tokens[j].upper.startswith("ASC") else "ASC"
                yield f"{tokens[j].text} -> {flipped} at {_at(tokens, j)}", _replace(tokens, {j: flipped})


def change_limit(tokens, vocab, row_count: int | None = None) -> Iterator[tuple[str, str]]:
    for i in _word_indices(tokens, "LIMIT"):
        nxt = next_significant(tokens, i)
        if nxt is None or tokens[nxt].kind != "number":
            continue
        limit = int(float(tokens[nxt].text))
        wanted = []
        if row_count and 0 < row_count < limit:
            wanted.append(row_count)  # same rows on this graph, cut when another graph has more
        if limit > 1 and (row_count is None or row_count >= limit - 1):
            wanted.append(limit - 1)  # (with far fewer rows than LIMIT, LIMIT - 1 changes nothing anywhere)
        if limit > 1:
            wanted.append(1)
        for value in dict.fromkeys(wanted):
            yield f"LIMIT {limit} -> {value}", _replace(tokens, {nxt: str(value)})


RULES: dict[str, Callable] = {
    "flip_direction": flip_direction,
    "swap_label_or_type": swap_label_or_type,
    "drop_conjunct": drop_conjunct,
    "swap_entity": swap_entity,
    "toggle_distinct": toggle_distinct,
    "toggle_optional": toggle_optional,
    "swap_quantifier": _swap_words({"ANY": "all", "ALL": "any"}, function_only=True),
    "swap_boolean": _swap_words({"AND": "OR", "OR": "AND"}),
    "swap_comparison": swap_comparison,
    "change_aggregation": change_aggregation,
    "change_order": change_order,
    "change_limit": change_limit,
}


NULL_GUARD = re.compile(r":\s*[\w.]+\s+IS\s+NOT\s+NULL$", re.I)


def drops_a_filter(mutant: Mutant) -> bool:
    """A dropped WHERE conjunct the question states (not a null guard after OPTIONAL MATCH)."""
    return mutant.rule == "drop_conjunct" and not NULL_GUARD.search(mutant.detail)


def _normal(cypher: str) -> str:
    return " ".join(cypher.split())


def mutants(cypher: str, vocab: Vocabulary | None = None, *, row_count: int | None = None, rules=None) -> list[Mutant]:
    """Distinct mutants of `cypher` (text unlike the gold's), in rule order, deterministic."""
    vocab = vocab or Vocabulary()
    tokens = tokenize(cypher)
    seen = {_normal(cypher)}
    out = []
    for name in rules or RULES:
        rule = RULES[name]
        produced = rule(tokens, vocab, row_count) if name == "change_limit" else rule(tokens, vocab)
        for detail, text in produced:
            key = _normal(text)
            if key not in seen:
                seen.add(key)
                out.append(Mutant(name, detail, text))
    return out
