"""Loading a checked graph folder into Neo4j: one write transaction, idempotent.

Nodes are MERGEd on their key and their properties replaced; the schema's
relationships are deleted and recreated from the rows. Loading the same folder
twice therefore gives the same graph (and fingerprint), and a failure part-way
rolls the whole load back.
"""

from __future__ import annotations

from .csv_source import GraphData
from .schema import RELATIONSHIP_TYPES, apply_constraints

BATCH = 1000

NODE_STATEMENTS = {
    "genes": "UNWIND $rows AS row MERGE (n:Gene {symbol: row.symbol}) SET n = row",
    "variants": "UNWIND $rows AS row MERGE (n:Variant {name: row.name}) SET n = row SET n:Biomarker",
    "therapies": "UNWIND $rows AS row MERGE (n:Therapy {name: row.name}) SET n = row",
    "diseases": "UNWIND $rows AS row MERGE (n:Disease {name: row.name}) SET n = row",
}

CLEAR_RELATIONSHIPS = f"MATCH ()-[r:{'|'.join(RELATIONSHIP_TYPES)}]->() DELETE r"

REL_STATEMENTS = {
    "variant_of": (
        "UNWIND $rows AS row MATCH (v:Variant {name: row.variant_name}), (g:Gene {symbol: row.gene_symbol}) "
        "CREATE (v)-[:VARIANT_OF]->(g)"
    ),
    "targets": (
        "UNWIND $rows AS row MATCH (t:Therapy {name: row.therapy_name}), (g:Gene {symbol: row.gene_symbol}) "
        "CREATE (t)-[r:TARGETS]->(g) SET r = row.props"
    ),
    "affects_gene": (
        "UNWIND $rows AS row MATCH (b:Gene {symbol: row.biomarker_name}), (t:Therapy {name: row.therapy_name}) "
        "CREATE (b)-[r:AFFECTS_RESPONSE_TO]->(t) SET r = row.props"
    ),
    "affects_variant": (
        "UNWIND $rows AS row MATCH (b:Variant {name: row.biomarker_name}), (t:Therapy {name: row.therapy_name}) "
        "CREATE (b)-[r:AFFECTS_RESPONSE_TO]->(t) SET r = row.props"
    ),
}

GENE_BIOMARKERS = (
    "MATCH (g:Gene) WITH g, EXISTS { (g)-[:AFFECTS_RESPONSE_TO]->() } AS evidence "
    "FOREACH (_ IN CASE WHEN evidence THEN [1] ELSE [] END | SET g:Biomarker) "
    "FOREACH (_ IN CASE WHEN evidence THEN [] ELSE [1] END | REMOVE g:Biomarker)"
)


def _batches(rows: list[dict]):
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _with_props(rows: list[dict], endpoint_columns: tuple[str, ...]) -> list[dict]:
    return [
        {**{c: row[c] for c in endpoint_columns}, "props": {k: v for k, v in row.items() if k not in endpoint_columns}}
        for row in rows
    ]


def wipe(driver) -> None:
    """Delete every node and relationship, in batches so large graphs fit in memory."""
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS").consume()


def load_graph(driver, data: GraphData, *, replace: bool = False) -> dict[str, int]:
    if replace:
        wipe(driver)
    apply_constraints(driver)
    rel_rows = {
        "variant_of": data.variant_of,
        "targets": _with_props(data.targets, ("therapy_name", "gene_symbol")),
        "affects_gene": _with_props(
            [r for r in data.affects_response if r["biomarker_type"] == "gene"], ("biomarker_name", "therapy_name")
        ),
        "affects_variant": _with_props(
            [r for r in data.affects_response if r["biomarker_type"] == "variant"], ("biomarker_name", "therapy_name")
        ),
    }
    for row in rel_rows["affects_gene"] + rel_rows["affects_variant"]:
        row["props"].pop("biomarker_type", None)

    def work(tx):
        for attribute, statement in NODE_STATEMENTS.items():
            for batch in _batches(getattr(data, attribute)):
                tx.run(statement, rows=batch).consume()
        tx.run(CLEAR_RELATIONSHIPS).consume()
        for key, statement in REL_STATEMENTS.items():
            for batch in _batches(rel_rows[key]):
                tx.run(statement, rows=batch).consume()
        tx.run(GENE_BIOMARKERS).consume()

    with driver.session() as session:
        session.execute_write(work)
    return data.counts()


def graph_counts(driver) -> dict[str, dict[str, int]]:
    """Nodes per label and relationships per type, as the server counts them."""
    labels, _, _ = driver.execute_query("CALL db.labels() YIELD label RETURN label ORDER BY label")
    types, _, _ = driver.execute_query("CALL db.relationshipTypes() YIELD relationshipType AS t RETURN t ORDER BY t")
    nodes = {}
    for record in labels:
        label = record["label"]
        count, _, _ = driver.execute_query(f"MATCH (n:`{label}`) RETURN count(n) AS c")
        nodes[label] = count[0]["c"]
    relationships = {}
    for record in types:
        rel_type = record["t"]
        count, _, _ = driver.execute_query(f"MATCH ()-[r:`{rel_type}`]->() RETURN count(r) AS c")
        relationships[rel_type] = count[0]["c"]
    return {"nodes": nodes, "relationships": relationships}
