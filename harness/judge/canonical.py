"""Canonical plain values for query results, so equal answers compare equal.

Rows arrive as `record.data()` gives them (dicts of column -> value), possibly with
neo4j graph or temporal values inside. Canonical form: ints for integral floats,
floats rounded to 12 significant digits, temporal and spatial values as strings,
nodes as their labels and properties, relationships as type, properties and
endpoints, tuples as lists, dict keys sorted. `freeze` turns a canonical value into
a hashable key; list cells are frozen as multisets unless order is kept.
"""

from __future__ import annotations

import hashlib
import json
import math

from neo4j import graph as neo4j_graph


def canonical(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 2**63:
            return int(value)
        return float(f"{value:.12g}") if math.isfinite(value) else str(value)
    if isinstance(value, neo4j_graph.Node):
        return {"_labels": sorted(value.labels), **{k: canonical(v) for k, v in value.items()}}
    if isinstance(value, neo4j_graph.Relationship):
        return {
            "_type": value.type,
            **{k: canonical(v) for k, v in value.items()},
            "_start": canonical(value.start_node),
            "_end": canonical(value.end_node),
        }
    if isinstance(value, neo4j_graph.Path):
        return {"_path": [canonical(n) for n in value.nodes], "_rels": [canonical(r) for r in value.relationships]}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    iso = getattr(value, "iso_format", None)
    if callable(iso):
        return iso()
    return str(value)


def freeze(value, ordered_lists: bool = False) -> str:
    """A hashable, comparable key for one canonical cell value."""
    return json.dumps(_sorted_lists(value, ordered_lists), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _sorted_lists(value, ordered_lists: bool):
    if isinstance(value, list):
        items = [_sorted_lists(v, ordered_lists) for v in value]
        if not ordered_lists:
            items.sort(key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
        return items
    if isinstance(value, dict):
        return {k: _sorted_lists(v, ordered_lists) for k, v in value.items()}
    return value


def canonical_rows(rows: list[dict]) -> list[dict]:
    return [{str(k): canonical(v) for k, v in row.items()} for row in rows]


def result_hash(rows: list[dict], ordered: bool = False, ordered_lists: bool = False) -> str:
    """Hash of a result: column names, and rows as a bag (or a sequence when `ordered`)."""
    rows = canonical_rows(rows)
    columns = sorted(rows[0]) if rows else []
    frozen = [json.dumps([freeze(row.get(c), ordered_lists) for c in columns]) for row in rows]
    if not ordered:
        frozen.sort()
    digest = hashlib.sha256(json.dumps([columns, frozen]).encode())
    return digest.hexdigest()
