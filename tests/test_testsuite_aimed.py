"""Aimed variant families on the tiny graph: each kills the kind of survivor it is aimed at, keeps
its gold valid, is a pure function of (graph, seed, index) and writes a folder `graph load` accepts."""

from __future__ import annotations

import pytest

from harness.cypher.mutants import mutants
from harness.graph.csv_source import read_graph_folder
from harness.graph.loader import load_graph
from harness.suitegen.gold import GoldError
from harness.suitegen.probe import gold_rows, run_untrusted_many, same_answer
from harness.testsuite.distill import gold_valid
from harness.testsuite.variants import FAMILY_ORDER, make_variant, write_graph_folder

from .conftest import TINY_GRAPH

SEEDS = range(4)  # a family kills its target on at least one of these seeds (each a pure function)


def name_is(var: str, key: str, value: str) -> str:
    return (
        f"(toLower({var}.{key}) = toLower('{value}') OR any(s IN coalesce({var}.synonyms, []) "
        f"WHERE toLower(s) = toLower('{value}')))"
    )


GENES_OF_THERAPY = (
    f"MATCH (t:Therapy)-[:TARGETS]->(g:Gene)\nWHERE {name_is('t', 'name', 'Sotorasib')}\n"
    "RETURN DISTINCT g.symbol AS gene_symbol\nLIMIT 200"
)
THERAPIES_OF_GENE = (
    f"MATCH (t:Therapy)-[:TARGETS]->(g:Gene)\nWHERE {name_is('g', 'symbol', 'KRAS')}\n"
    "RETURN DISTINCT t.name AS therapy_name\nLIMIT 200"
)
GENE_OF_VARIANT = (
    f"MATCH (v:Variant)-[:VARIANT_OF]->(g:Gene)\nWHERE {name_is('v', 'name', 'KRAS G12C')}\n"
    "RETURN DISTINCT g.symbol AS gene_symbol\nLIMIT 10"
)
EFFECT = (
    "MATCH (v:Variant)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)\n"
    f"WHERE {name_is('v', 'name', 'EGFR L858R')}\n  AND {name_is('t', 'name', 'Gefitinib')}\n"
    "RETURN DISTINCT rel.effect AS effect\nLIMIT 20"
)
RESISTANCE_GENES = (
    "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)\n"
    f"WHERE {name_is('t', 'name', 'Gefitinib')}\n  AND toLower(rel.effect) = 'resistance'\n"
    "OPTIONAL MATCH (b)-[:VARIANT_OF]->(vg:Gene)\n"
    "WITH CASE WHEN b:Gene THEN b ELSE vg END AS g\nWHERE g IS NOT NULL\n"
    "RETURN DISTINCT g.symbol AS gene_symbol\nLIMIT 200"
)
IN_DISEASE = (
    "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)\n"
    f"WHERE {name_is('t', 'name', 'Cetuximab')}\n  AND (toLower(rel.disease_name) CONTAINS 'colorectal')\n"
    "RETURN DISTINCT coalesce(b.name, b.symbol) AS biomarker\nLIMIT 200"
)
VARIANT_EVIDENCE = (
    f"MATCH (v:Variant)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)\nWHERE {name_is('v', 'name', 'EGFR T790M')}\n"
    "RETURN DISTINCT t.name AS therapy_name, rel.effect AS effect\nLIMIT 200"
)
SENSITIVE_TO = (
    f"MATCH (v:Variant)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)\nWHERE {name_is('v', 'name', 'EGFR L858R')}\n"
    "  AND toLower(rel.effect) = 'sensitivity'\nRETURN DISTINCT t.name AS therapy_name\nLIMIT 200"
)

# family -> (gold, mutation rule, text in the mutant's detail): the survivor the family is aimed at
AIMS = [
    ("bare_twins", GENES_OF_THERAPY, "swap_quantifier", "any -> all"),  # all() of no synonyms is true
    ("bare_twins", GENE_OF_VARIANT, "change_limit", "LIMIT 10 -> 1"),  # a second gene of the variant
    ("synonym_twins", GENE_OF_VARIANT, "toggle_distinct", "RETURN without DISTINCT"),  # every row twice
    ("parallel_facts", EFFECT, "change_limit", "LIMIT 20 -> 1"),  # the other effect beside it
    ("biomarker_twins", RESISTANCE_GENES, "drop_conjunct", "g IS NOT NULL"),  # a variant of no gene
    ("biomarker_twins", RESISTANCE_GENES, "swap_label_or_type", "Biomarker -> Variant"),  # gene-level evidence
    ("changed_twins", IN_DISEASE, "drop_conjunct", "colorectal"),  # the same evidence in another disease
    ("homonyms", VARIANT_EVIDENCE, "swap_label_or_type", "Variant -> Biomarker"),  # a gene named like it
    ("moved", SENSITIVE_TO, "drop_conjunct", "effect"),  # the evidence's effect flipped in place
    ("stripped", THERAPIES_OF_GENE, "swap_label_or_type", "Gene -> Biomarker"),  # KRAS no longer a Biomarker
]


def the_mutant(gold: str, rule: str, detail: str, rows: list[dict]) -> str:
    found = [m.cypher for m in mutants(gold, rules=[rule], row_count=len(rows)) if detail in m.detail]
    assert len(found) == 1, (rule, detail, found)
    return found[0]


def survives(driver, gold: str, mutant: str) -> tuple[bool, list[dict]]:
    rows = gold_rows(driver, [gold])[gold]
    assert not isinstance(rows, GoldError), rows
    return same_answer(gold, rows, run_untrusted_many(driver, [mutant])[mutant].rows), rows


@pytest.fixture(scope="module")
def base():
    return read_graph_folder(TINY_GRAPH)


@pytest.mark.parametrize(("family", "gold", "rule", "detail"), AIMS, ids=[f"{a[0]}:{a[3]}" for a in AIMS])
def test_each_family_kills_the_survivor_it_aims_at(scratch_driver, base, family, gold, rule, detail):
    load_graph(scratch_driver, base, replace=True)
    rows = gold_rows(scratch_driver, [gold])[gold]
    mutant = the_mutant(gold, rule, detail, rows)
    assert survives(scratch_driver, gold, mutant)[0], "not a survivor on the base graph"
    index = FAMILY_ORDER.index(family)
    outcomes = []
    for seed in SEEDS:
        variant = make_variant(base, seed, index)
        assert f"({family})" in variant.source
        load_graph(scratch_driver, variant, replace=True)
        alive, rows_there = survives(scratch_driver, gold, mutant)
        assert gold_valid(gold, rows_there)
        outcomes.append(alive)
    assert not all(outcomes), f"{family} never kills {rule} ({detail})"


def test_every_family_is_a_pure_function_and_loadable(tmp_path, base):
    assert FAMILY_ORDER[0] == "random" and len(FAMILY_ORDER) == 12
    for index, family in enumerate(FAMILY_ORDER):
        first, again = make_variant(base, 3, index), make_variant(base, 3, index)
        assert vars(first) == vars(again), family
        back = read_graph_folder(write_graph_folder(first, tmp_path / family))  # every check of `graph load`
        assert back.counts() == first.counts(), family
        assert {k: v for k, v in vars(first).items() if k != "source"} != {
            k: v for k, v in vars(base).items() if k != "source"
        }, family
    assert vars(base) == vars(read_graph_folder(TINY_GRAPH))  # the base is not changed


def test_a_gold_cut_at_its_limit_is_invalid_unless_totally_ordered():
    rows = [{"x": i} for i in range(3)]
    assert gold_valid("MATCH (n) RETURN n.x AS x LIMIT 4", rows)
    assert not gold_valid("MATCH (n) RETURN n.x AS x LIMIT 3", rows)  # which 3 rows: the server's choice
    assert gold_valid("MATCH (n) RETURN n.x AS x ORDER BY x LIMIT 3", rows)  # the first 3 by a total order
    assert not gold_valid("MATCH (n) RETURN n.x AS x", GoldError("boom"))
