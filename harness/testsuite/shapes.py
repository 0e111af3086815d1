"""Held-out near misses: a gold query with one filter the question names ignored, written in shapes
the mutant generator (mutants.py) never produces, to measure test-suite judging on queries it was
not tuned on.

A named filter is a gene, therapy or variant match (`(toLower(x.symbol) = toLower('KDR') OR
any(s IN coalesce(x.synonyms, []) ...))`), a disease match (all the `rel.disease_name CONTAINS`
tokens at once, where the generator drops one) or an effect (`toLower(rel.effect) = 'resistance'`).
Each is ignored in five shapes:

- `dropped`: the whole filter replaced by `true`;
- `pattern`: dropped, and every other entity filter written as a pattern property
  (`(t:Therapy {name: 'Dabrafenib'})`) instead of a WHERE;
- `named_unused`: the filter's value still in the query but filtering nothing (an `OPTIONAL MATCH`
  of the named disease, or `WITH *, 'resistance' AS named_effect`);
- `subquery`: dropped, inside `CALL { ... } RETURN *`;
- `aliases`: dropped, with every variable renamed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

ENTITY = re.compile(
    r"\(toLower\((?P<var>\w+)\.(?P<prop>symbol|name)\) = toLower\('(?P<value>[^']*)'\) OR any\(s IN "
    r"coalesce\((?P=var)\.synonyms, \[\]\) WHERE toLower\(s\) = toLower\('(?P=value)'\)\)\)"
)
DISEASE = re.compile(r"\((?:toLower\((?P<var>\w+)\.disease_name\) CONTAINS '(?P<token>[^']*)'(?: AND )?)+\)")
EFFECT = re.compile(r"toLower\((?P<var>\w+)\.effect\) = '(?P<value>\w+)'")
KIND_OF_VAR = {"g": "gene", "a": "gene", "b": "gene", "t": "therapy", "v": "variant"}
NEXT_CLAUSE = re.compile(r"\n(?=OPTIONAL MATCH|WITH|RETURN|UNWIND|MATCH|CALL)")
SHAPES = ("dropped", "pattern", "named_unused", "subquery", "aliases")
RENAMES = {"rel": "evidence", "t": "drug", "b": "marker", "g": "gene_node", "v": "var_node", "a": "first_gene"}


@dataclass(frozen=True)
class NearMiss:
    kind: str  # disease, effect, gene, therapy, variant
    shape: str
    value: str
    query: str


def named_filters(cypher: str) -> list[tuple[str, re.Match]]:
    """(kind, match) of every filter of the first MATCH's WHERE that a question names."""
    found: list[tuple[str, re.Match]] = []
    for match in ENTITY.finditer(cypher):
        kind = KIND_OF_VAR.get(match["var"], "gene" if match["prop"] == "symbol" else "therapy")
        found.append((kind, match))
    found += [("disease", m) for m in DISEASE.finditer(cypher)]
    found += [("effect", m) for m in EFFECT.finditer(cypher)]
    return found


def _outside_literals(text: str, change) -> str:
    parts = re.split(r"('[^']*')", text)
    return "".join(part if part.startswith("'") else change(part) for part in parts)


def _after_first_clause(query: str, clause: str) -> str:
    """Insert a clause after the first MATCH clause (and its WHERE)."""
    head, *rest = NEXT_CLAUSE.split(query, maxsplit=1)
    return f"{head}\n{clause}\n{rest[0]}" if rest else f"{head}\n{clause}"


def _pattern(query: str) -> str | None:
    """Every remaining entity filter as a pattern property of its node; None if a node is not found."""
    for match in list(ENTITY.finditer(query)):
        var, prop, value = match["var"], match["prop"], match["value"]
        node = re.search(rf"\({var}:(\w+)\)", query)
        if node is None:
            return None
        query = query.replace(match.group(0), "true", 1)
        query = query.replace(node.group(0), f"({var}:{node.group(1)} {{{prop}: '{value}'}})", 1)
    return query


def _named_unused(query: str, kind: str, match: re.Match) -> str:
    if kind == "disease":
        token = match["token"]
        return _after_first_clause(
            query, f"OPTIONAL MATCH (named_disease:Disease) WHERE toLower(named_disease.name) CONTAINS '{token}'"
        )
    value = match["value"]
    return _after_first_clause(query, f"WITH *, '{value}' AS named_{kind}")


def near_misses(cypher: str) -> Iterator[NearMiss]:
    """Every named filter of `cypher` ignored, in every shape that applies."""
    for kind, match in named_filters(cypher):
        dropped = cypher[: match.start()] + "true" + cypher[match.end() :]
        value = match["token"] if kind == "disease" else match["value"]
        yield NearMiss(kind, "dropped", value, dropped)
        pattern = _pattern(dropped)
        if pattern is not None and pattern != dropped:
            yield NearMiss(kind, "pattern", value, pattern)
        yield NearMiss(kind, "named_unused", value, _named_unused(dropped, kind, match))
        if "ORDER BY" not in dropped:
            yield NearMiss(kind, "subquery", value, f"CALL {{\n{dropped.strip()}\n}}\nRETURN *")
        renamed = _outside_literals(
            dropped, lambda part: re.sub(r"\b(rel|t|b|g|v|a)\b(?=[.)\s,:\]])", lambda m: RENAMES[m.group(1)], part)
        )
        yield NearMiss(kind, "aliases", value, renamed)
