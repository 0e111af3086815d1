"""Equivalence rules: each classifies a mutant that means the same as its gold on every graph the
loader can build, and refuses a look-alike that a graph can tell apart."""

from __future__ import annotations

import pytest

from harness.cypher.mutants import drops_a_filter, mutants
from harness.testsuite.equivalence import RULES, equivalence

GENES_OF_VARIANT = "MATCH (v:Variant)-[:VARIANT_OF]->(g:Gene)\nWHERE toLower(v.name) = 'braf v600e'\nRETURN DISTINCT g.symbol AS gene\nLIMIT 10"
EVIDENCE_GENES = (
    "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)\n"
    "WHERE toLower(t.name) = 'dabrafenib' AND toLower(rel.effect) = 'resistance'\n"
    "OPTIONAL MATCH (b)-[:VARIANT_OF]->(vg:Gene)\n"
    "WITH DISTINCT t, CASE WHEN b:Gene THEN b ELSE vg END AS g\n"
    "WHERE g IS NOT NULL\n"
    "MATCH (alt:Therapy)-[:TARGETS]->(g)\nWHERE alt <> t\n"
    "RETURN DISTINCT alt.name AS therapy_name\nLIMIT 300"
)
TOP_GENES = (
    "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(:Therapy)\n"
    "WHERE toLower(rel.disease_name) CONTAINS 'glioma'\n"
    "OPTIONAL MATCH (b)-[:VARIANT_OF]->(vg:Gene)\n"
    "WITH CASE WHEN b:Gene THEN b.symbol ELSE vg.symbol END AS gene_symbol, count(rel) AS n\n"
    "WHERE gene_symbol IS NOT NULL\n"
    "RETURN gene_symbol AS gene_symbol, n AS n\nORDER BY n DESC, gene_symbol ASC\nLIMIT 5"
)
RESISTANT_TARGETS = (
    "MATCH (t:Therapy)-[:TARGETS]->(g:Gene)\nWHERE toLower(g.symbol) = 'braf'\n"
    "MATCH (v:Variant)-[:VARIANT_OF]->(g)\n"
    "MATCH (v)-[rel:AFFECTS_RESPONSE_TO]->(t)\nWHERE toLower(rel.effect) = 'resistance'\n"
    "RETURN DISTINCT t.name AS therapy_name\nLIMIT 200"
)
ALTERNATIVES = (
    "MATCH (v:Variant)-[r1:AFFECTS_RESPONSE_TO]->(t:Therapy)\nWHERE toLower(v.name) = 'egfr t790m'\n"
    "MATCH (v)-[r2:AFFECTS_RESPONSE_TO]->(alt:Therapy)\nWHERE alt <> t\n"
    "RETURN DISTINCT alt.name AS therapy_name\nLIMIT 200"
)


def shown(gold: str, rule: str, detail_part: str) -> list[str | None]:
    """The equivalence rule (or None) of each mutant of `gold` by `rule` whose detail mentions `detail_part`."""
    out = []
    for mutant in mutants(gold, rules=[rule], row_count=1):
        if detail_part in mutant.detail:
            found = equivalence(gold, mutant)
            out.append(found[0] if found else None)
    assert out, f"no {rule} mutant with {detail_part!r}"
    return out


def test_implied_label_only_where_the_relationship_implies_both_labels():
    # every VARIANT_OF source is a Variant and (the loader labels every Variant) a Biomarker
    assert set(shown(GENES_OF_VARIANT, "swap_label_or_type", "Variant -> Biomarker")) == {"implied_label"}
    # but a Gene at the target of VARIANT_OF need not be a Biomarker, nor a Variant a Gene
    assert set(shown(GENES_OF_VARIANT, "swap_label_or_type", "Gene -> Biomarker")) == {None}
    assert set(shown(GENES_OF_VARIANT, "swap_label_or_type", "Variant -> Gene")) == {None}
    # an AFFECTS_RESPONSE_TO source is a Biomarker, a Gene or a Variant: neither is implied
    assert set(shown(EVIDENCE_GENES, "swap_label_or_type", "Biomarker -> Variant")) == {None}
    assert set(shown(ALTERNATIVES, "swap_label_or_type", "Variant -> Biomarker")) == {None}


def test_distinct_under_distinct_needs_a_final_distinct_and_nothing_counting_rows():
    assert shown(EVIDENCE_GENES, "toggle_distinct", "WITH without DISTINCT") == ["distinct_under_distinct"]
    # the RETURN's own DISTINCT is not one a later DISTINCT folds
    assert shown(EVIDENCE_GENES, "toggle_distinct", "RETURN without DISTINCT") == [None]
    counted = EVIDENCE_GENES.replace("RETURN DISTINCT alt.name AS therapy_name", "RETURN DISTINCT count(alt) AS n")
    assert shown(counted, "toggle_distinct", "WITH without DISTINCT") == [None]
    plain = EVIDENCE_GENES.replace("RETURN DISTINCT", "RETURN")
    assert shown(plain, "toggle_distinct", "WITH without DISTINCT") == [None]


def test_distinct_on_grouped_rows_only_when_rows_are_unique_by_their_keys():
    # WITH DISTINCT on the aggregating WITH, RETURN DISTINCT on the RETURN that keeps its key
    assert shown(TOP_GENES, "toggle_distinct", "DISTINCT") == ["distinct_on_grouped_rows"] * 2
    # a RETURN that drops the grouping key can repeat rows (two genes with the same count)
    counts_only = TOP_GENES.replace("RETURN gene_symbol AS gene_symbol, n AS n", "RETURN n AS n").replace(
        ", gene_symbol ASC", ""
    )
    assert shown(counts_only, "toggle_distinct", "RETURN DISTINCT") == [None]


def test_optional_then_required_only_when_a_later_match_needs_the_new_node():
    assert shown(RESISTANT_TARGETS, "toggle_optional", "MATCH -> OPTIONAL") == [
        "optional_then_required",
        None,  # the last MATCH made optional: nothing after it needs v or rel
    ]
    # nothing after the second MATCH needs alt: an optional one returns a null row where it fails
    assert set(shown(ALTERNATIVES, "toggle_optional", "MATCH -> OPTIONAL")) == {None}


def test_count_of_bound_only_for_variables_of_a_plain_match():
    assert shown(TOP_GENES, "change_aggregation", "count(x) -> count(*)") == ["count_of_bound"]
    optional = TOP_GENES.replace("count(rel)", "count(vg)")
    assert shown(optional, "change_aggregation", "count(x) -> count(*)") == [None]


def test_null_guard_before_match_only_when_a_later_match_needs_the_node():
    assert shown(EVIDENCE_GENES, "drop_conjunct", "g IS NOT NULL") == ["null_guard_before_match"]
    # without a later MATCH on g the guard is what keeps a null row out
    returned = EVIDENCE_GENES.split("MATCH (alt")[0] + "RETURN DISTINCT g.symbol AS gene\nLIMIT 300"
    assert shown(returned, "drop_conjunct", "g IS NOT NULL") == [None]


@pytest.mark.parametrize("gold", [GENES_OF_VARIANT, EVIDENCE_GENES, TOP_GENES, RESISTANT_TARGETS, ALTERNATIVES])
def test_no_rule_claims_mutants_that_change_filters_or_entities(gold):
    checked = []
    for mutant in mutants(gold, rules=["drop_conjunct", "swap_comparison", "flip_direction", "change_limit"]):
        if mutant.rule == "drop_conjunct" and not drops_a_filter(mutant):
            continue  # a null guard: see test_null_guard_before_match_...
        assert equivalence(gold, mutant) is None, mutant.detail
        checked.append(mutant.rule)
    # every gold here has a direction to flip and a LIMIT to change: the loop checked those at least
    assert {"flip_direction", "change_limit"} <= set(checked), checked
    assert len(RULES) == 6
