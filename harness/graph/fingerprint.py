"""A content hash of the whole graph, independent of internal ids, load order and backend.

Every node becomes a canonical string of its sorted labels and properties; every
relationship the string of its type, properties and both endpoints' node strings.
The sorted digests of these strings are hashed together, so any change to a node,
relationship or property changes the fingerprint and nothing else does.

Reading the whole graph costs both sides CPU, so a run that only needs to know whether
the graph is still the one it fingerprinted asks `fingerprint_since`: the server's
bookmark after a read names the database and its last committed transaction, so an
equal bookmark means no write has been committed since; any other answer recomputes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


NODE_QUERY = "MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props"
REL_QUERY = "MATCH (a)-[r]->(b) RETURN elementId(a) AS a, elementId(b) AS b, type(r) AS type, properties(r) AS props"


def fingerprint(driver, database: str | None = None) -> str:
    node_digest: dict[str, bytes] = {}
    with driver.session(database=database, default_access_mode="READ") as session:
        for record in session.run(NODE_QUERY):
            node_digest[record["id"]] = _digest(_canonical(["node", sorted(record["labels"]), record["props"]]))
        rel_digests = [
            _digest(
                _canonical(["rel", record["type"], record["props"]])
                + node_digest[record["a"]].hex()
                + node_digest[record["b"]].hex()
            )
            for record in session.run(REL_QUERY)
        ]
    total = hashlib.sha256()
    for item in sorted(node_digest.values()):
        total.update(item)
    total.update(b"|relationships|")
    for item in sorted(rel_digests):
        total.update(item)
    return total.hexdigest()


@dataclass(frozen=True)
class GraphState:
    """A fingerprint and the server's bookmark when it was taken (None if the graph moved meanwhile)."""

    fingerprint: str
    bookmark: str | None


def last_commit(driver, database: str | None = None) -> str | None:
    """The bookmark of an empty read: it changes with every committed write; None if the server gives none."""
    with driver.session(database=database, default_access_mode="READ") as session:
        session.run("RETURN 1").consume()
        values = session.last_bookmarks().raw_values
    return "\n".join(sorted(values)) or None


def graph_state(driver, database: str | None = None) -> GraphState:
    """The fingerprint, with the bookmark that proves it describes one state of the graph."""
    before = last_commit(driver, database)
    value = fingerprint(driver, database)
    return GraphState(value, before if before is not None and last_commit(driver, database) == before else None)


def fingerprint_since(driver, state: GraphState, database: str | None = None) -> str:
    """The fingerprint now: `state`'s own when no write has been committed since it was taken, else read anew."""
    if state.bookmark is not None and last_commit(driver, database) == state.bookmark:
        return state.fingerprint
    return fingerprint(driver, database)
