"""Held-out near misses (testsuite/shapes.py) and the filter guards (testsuite/guards.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from harness.graph.csv_source import read_graph_folder
from harness.suitegen.model import open_suite
from harness.testsuite.guards import GUARD_INDICES, GUARDS
from harness.testsuite.shapes import SHAPES, named_filters, near_misses
from harness.testsuite.variants import family_of, make_variant, write_graph_folder

F64 = """MATCH (v:Variant)-[r1:AFFECTS_RESPONSE_TO]->(t:Therapy)
WHERE (toLower(v.name) = toLower('BRAF V600E') OR any(s IN coalesce(v.synonyms, []) WHERE toLower(s) = toLower('BRAF V600E')))
  AND (toLower(t.name) = toLower('Panitumumab') OR any(s IN coalesce(t.synonyms, []) WHERE toLower(s) = toLower('Panitumumab')))
  AND toLower(r1.effect) = 'resistance'
  AND (toLower(r1.disease_name) CONTAINS 'colorectal')
MATCH (v)-[r2:AFFECTS_RESPONSE_TO]->(alt:Therapy)
WHERE alt <> t AND toLower(r2.effect) = 'sensitivity'
  AND (toLower(r2.disease_name) CONTAINS 'colorectal')
RETURN DISTINCT alt.name AS therapy_name
LIMIT 200"""


def test_named_filters_of_a_gold():
    kinds = Counter(kind for kind, _ in named_filters(F64))
    assert kinds == {"variant": 1, "therapy": 1, "effect": 2, "disease": 2}


def test_every_shape_ignores_the_filter():
    misses = list(near_misses(F64))
    assert {m.shape for m in misses} == set(SHAPES)
    disease = [m for m in misses if m.kind == "disease" and "r2.disease_name" in m.query]  # r1's disease dropped
    assert all("r1.disease_name" not in m.query for m in disease)
    shapes = {m.shape: m.query for m in disease}
    assert "(t:Therapy {name: 'Panitumumab'})" in shapes["pattern"] and "toLower(t.name)" not in shapes["pattern"]
    assert "OPTIONAL MATCH (named_disease:Disease)" in shapes["named_unused"]
    assert shapes["subquery"].startswith("CALL {") and shapes["subquery"].endswith("RETURN *")
    assert "(var_node:Variant)-[r1:" in shapes["aliases"] and "(drug:Therapy)" in shapes["aliases"]
    assert "'BRAF V600E'" in shapes["aliases"]  # literals are never renamed


def test_guards_are_variants_100_on_and_do_not_move_the_recorded_ones():
    assert [family_of(i) for i in GUARD_INDICES] == list(GUARDS)
    assert family_of(9) == "mix_facts_names" and family_of(0) == "random"  # as recorded in suites/demo


@pytest.fixture(scope="module")
def demo():
    return read_graph_folder(None)


def test_guards_change_every_fact_of_their_kind(demo, tmp_path):
    resistance = [r for r in demo.affects_response if r["effect"] == "resistance"]
    relocated = make_variant(demo, 0, 100)
    moved = {(r["biomarker_name"], r["therapy_name"], r["disease_name"]) for r in relocated.affects_response}
    kept_in_place = [r for r in resistance if (r["biomarker_name"], r["therapy_name"], r["disease_name"]) in moved]
    assert len(kept_in_place) < len(resistance) / 10  # a few have no disease sharing no word, or collide
    flipped = make_variant(demo, 0, 101)
    assert not any(r["effect"] == "resistance" for r in flipped.affects_response)
    added = make_variant(demo, 0, 102)
    assert len(added.affects_response) > 1.9 * len(demo.affects_response)
    again = make_variant(demo, 0, 102)
    assert vars(again) == vars(added)  # a pure function of (graph, seed, index)
    assert read_graph_folder(write_graph_folder(added, tmp_path / "g"))  # loadable by `graph load`'s checks


def test_the_demo_suite_records_the_guards():
    indices = {v["index"] for v in open_suite("demo").manifest["test_suite"]["variants"]}
    assert set(GUARD_INDICES) <= indices


def test_every_near_miss_of_the_demo_golds_parses(neo4j_driver):
    golds = {item.cypher for item in open_suite("demo").items("test")}
    queries = [m.query for cypher in golds for m in near_misses(cypher)]
    assert len(queries) > 1500
    with neo4j_driver.session() as session:
        for query in queries:
            session.run("EXPLAIN " + query).consume()
