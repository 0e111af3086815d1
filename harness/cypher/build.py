"""The gold Cypher house style, written once: every template builds its query from these.

Why one place: a model is judged against these queries, so they must be uniform and
boringly correct. Rules: literals are canonical graph names (questions may use
synonyms, Cypher never does); matching is case-insensitive with `toLower()`; list
properties are wrapped in `coalesce(x, [])` before `any()`; disease filters are
token-based `CONTAINS` on the evidence's `disease_name` (the rule the fine-tuned model
was trained with: drop the token "cancer" when other tokens remain); every column has
an explicit alias; every query ends in a `LIMIT`.
"""

from __future__ import annotations

import re


def lit(value: str) -> str:
    """A Cypher single-quoted string literal (backslashes and quotes escaped)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _name_or_synonym(var: str, key: str, value: str) -> str:
    return (
        f"(toLower({var}.{key}) = toLower({lit(value)}) "
        f"OR any(s IN coalesce({var}.synonyms, []) WHERE toLower(s) = toLower({lit(value)})))"
    )


def gene(var: str, symbol: str) -> str:
    """A Gene variable matched by symbol or synonym."""
    return _name_or_synonym(var, "symbol", symbol)


def therapy(var: str, name: str) -> str:
    return _name_or_synonym(var, "name", name)


def variant(var: str, name: str) -> str:
    return _name_or_synonym(var, "name", name)


def disease_tokens(name: str) -> list[str]:
    """Lower-case tokens of a disease name; 'cancer' is dropped when other tokens remain."""
    tokens = [t for t in re.split(r"\s+", name.lower().strip()) if t]
    if "cancer" in tokens and len(tokens) > 1:
        tokens = [t for t in tokens if t != "cancer"]
    unique: list[str] = []
    for token in tokens:
        if token not in unique:
            unique.append(token)
    return unique


def disease(rel: str, name: str) -> str:
    """Evidence filtered by disease: every token of the canonical name in `rel.disease_name`."""
    parts = [f"toLower({rel}.disease_name) CONTAINS {lit(t)}" for t in disease_tokens(name)]
    return "(" + " AND ".join(parts) + ")"


def disease_matches(filter_name: str, disease_name: str) -> bool:
    """Python mirror of `disease()`: does an evidence disease_name pass the filter?"""
    text = disease_name.lower()
    return all(token in text for token in disease_tokens(filter_name))


def effect(rel: str, value: str) -> str:
    return f"toLower({rel}.effect) = {lit(value.lower())}"


BIOMARKER_GENE_MATCH = "OPTIONAL MATCH (b)-[:VARIANT_OF]->(vg:Gene)"
BIOMARKER_GENE = "CASE WHEN b:Gene THEN b ELSE vg END"
"""After `BIOMARKER_GENE_MATCH`: the gene a biomarker `b` stands for (itself, or its variant's gene)."""


def query(*lines: str, limit: int) -> str:
    """Join clause lines and end with the LIMIT every gold carries."""
    body = "\n".join(line for line in lines if line)
    return f"{body}\nLIMIT {limit}"
