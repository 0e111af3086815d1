"""A content hash of the whole graph, independent of internal ids, load order and backend.

Every node becomes a canonical string of its sorted labels and properties; every
relationship the string of its type, properties and both endpoints' node strings.
The sorted digests of these strings are hashed together, so any change to a node,
relationship or property changes the fingerprint and nothing else does.
"""

from __future__ import annotations

import hashlib
import json


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
