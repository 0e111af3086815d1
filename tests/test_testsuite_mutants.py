"""Gold mutants: one test per rule, the tokenizer's respect for strings and comments, and the
server's verdict on which mutants are acceptable read-only queries."""

from __future__ import annotations

from harness.cypher.mutants import RULES, Vocabulary, drops_a_filter, mutants
from harness.cypher.tokens import render, tokenize
from harness.suitegen.probe import run_untrusted_many

TARGETS = (
    "MATCH (t:Therapy)-[:TARGETS]->(g:Gene)\n"
    "WHERE toLower(g.symbol) = toLower('FLT3') AND any(s IN coalesce(t.tags, []) WHERE s = 'kinase')\n"
    "RETURN DISTINCT t.name AS therapy_name\nLIMIT 200"
)
EVIDENCE = (
    "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)\n"
    "WHERE toLower(t.name) = toLower('Imatinib') AND toLower(rel.effect) = 'resistance'\n"
    "  AND (toLower(rel.disease_name) CONTAINS 'leukemia')\n"
    "OPTIONAL MATCH (b)-[:VARIANT_OF]->(vg:Gene)\n"
    "WITH CASE WHEN b:Gene THEN b.symbol ELSE vg.symbol END AS gene, count(rel) AS n\n"
    "RETURN gene AS gene, n AS n ORDER BY n DESC, gene ASC LIMIT 5"
)
VOCAB = Vocabulary(
    {
        "Gene": ["BRAF", "FLT3", "KIT"],
        "Therapy": ["Dasatinib", "Imatinib", "Nilotinib"],
        "effect": ["resistance", "sensitivity"],
    }
)


def by_rule(query: str, rule: str, **kwargs) -> dict[str, str]:
    return {m.detail: m.cypher for m in mutants(query, VOCAB, rules=[rule], **kwargs)}


def test_tokenizer_round_trips_and_keeps_strings_and_comments_whole():
    query = "MATCH (n) // a comment with 'quote' and -[:X]->\nWHERE n.name = 'it\\'s -> AND' /* OR */ RETURN n"
    tokens = tokenize(query)
    assert render(tokens) == query
    assert [t.text for t in tokens if t.kind == "string"] == ["'it\\'s -> AND'"]
    assert sum(t.kind == "comment" for t in tokens) == 2
    # rules never rewrite text inside strings or comments (dropping the WHERE drops it whole)
    for mutant in mutants(query, VOCAB):
        if mutant.rule == "drop_conjunct":
            continue
        assert "'it\\'s -> AND'" in mutant.cypher and "/* OR */" in mutant.cypher


def test_flip_direction():
    out = by_rule(TARGETS, "flip_direction")
    assert list(out.values()) == [TARGETS.replace("-[:TARGETS]->", "<-[:TARGETS]-")]
    back = by_rule(TARGETS.replace("-[:TARGETS]->", "<-[:TARGETS]-"), "flip_direction")
    assert list(back.values()) == [TARGETS]


def test_swap_label_or_type():
    out = by_rule(TARGETS, "swap_label_or_type")
    assert TARGETS.replace(":TARGETS]", ":VARIANT_OF]") in out.values()
    assert TARGETS.replace("(g:Gene)", "(g:Variant)") in out.values()
    assert TARGETS.replace("(t:Therapy)", "(t:Disease)") in out.values()
    assert len(out) == 2 + 4 + 4  # two other types, four other labels for each of two labels


def test_drop_conjunct_drops_each_top_level_conjunct_and_a_lone_where():
    out = by_rule(EVIDENCE, "drop_conjunct")
    texts = [" ".join(t.split()) for t in out.values()]
    assert len(texts) == 3
    assert any(detail.endswith(": toLower(rel.effect) = 'resistance'") for detail in out)
    assert any("'Imatinib'" not in t and "'resistance'" in t for t in texts)
    assert any("'resistance'" not in t and "'leukemia'" in t for t in texts)
    assert any("'leukemia'" not in t and "'resistance'" in t and "'Imatinib'" in t for t in texts)
    inner = by_rule(
        "MATCH (g:Gene) WHERE any(s IN g.synonyms WHERE s = 'x') RETURN g.symbol AS s LIMIT 5", "drop_conjunct"
    )
    assert (
        " ".join(inner["whole WHERE at 1:16: any(s IN g.synonyms WHERE s = 'x')"].split())
        == "MATCH (g:Gene) RETURN g.symbol AS s LIMIT 5"
    )
    assert "any(s IN g.synonyms  )" in inner["whole WHERE at 1:42: s = 'x'"]  # the server then refuses it


def test_null_guards_are_not_filters():
    query = (
        "MATCH (b)-[r]->(t) OPTIONAL MATCH (b)-[:VARIANT_OF]->(g) WITH g, r WHERE g IS NOT NULL AND r.x = 1 RETURN g"
    )
    produced = mutants(query, VOCAB, rules=["drop_conjunct"])
    assert [drops_a_filter(m) for m in produced] == [False, True]


def test_swap_entity_replaces_every_occurrence_with_a_same_kind_entity():
    query = "MATCH (t:Therapy) WHERE toLower(t.name) = toLower('Imatinib') OR 'imatinib' IN t.synonyms RETURN t"
    out = by_rule(query, "swap_entity")
    assert len(out) == 2
    for text in out.values():
        assert "imatinib" not in text.lower()
        assert ("Dasatinib" in text) != ("Nilotinib" in text)
    effect = by_rule(EVIDENCE, "swap_entity")
    assert "'resistance' -> 'sensitivity'" in effect
    assert by_rule(
        TARGETS,
        "swap_entity",
    ) and mutants(TARGETS, VOCAB, rules=["swap_entity"]) == mutants(
        TARGETS, VOCAB, rules=["swap_entity"]
    )  # deterministic


def test_toggle_distinct():
    out = by_rule(EVIDENCE.replace("WITH CASE", "WITH DISTINCT CASE"), "toggle_distinct")
    assert sorted(out) == ["RETURN DISTINCT", "WITH without DISTINCT"]
    assert by_rule(TARGETS, "toggle_distinct")["RETURN without DISTINCT"].count("DISTINCT") == 0


def test_toggle_optional():
    out = by_rule(EVIDENCE, "toggle_optional")
    assert list(out) == ["OPTIONAL MATCH -> MATCH"]
    assert "\nMATCH (b)-[:VARIANT_OF]" in out["OPTIONAL MATCH -> MATCH"]
    two = by_rule("MATCH (a:Gene) MATCH (a)<-[:TARGETS]-(t) RETURN t", "toggle_optional")
    assert list(two.values()) == ["MATCH (a:Gene) OPTIONAL MATCH (a)<-[:TARGETS]-(t) RETURN t"]


def test_swap_quantifier():
    out = by_rule(TARGETS, "swap_quantifier")
    assert list(out.values()) == [TARGETS.replace("any(", "all(")]


def test_swap_boolean():
    out = by_rule(EVIDENCE, "swap_boolean")
    assert len(out) == 2
    assert all(text.count(" OR ") == 1 for text in out.values())


def test_swap_comparison():
    out = by_rule(TARGETS, "swap_comparison")
    assert len(out) == 2
    assert TARGETS.replace("toLower(g.symbol) = ", "toLower(g.symbol) <> ") in out.values()


def test_change_aggregation():
    out = by_rule(EVIDENCE, "change_aggregation")
    assert EVIDENCE.replace("count(rel)", "count(DISTINCT rel)") in out.values()
    assert EVIDENCE.replace("count(rel)", "count(*)") in out.values()
    assert list(by_rule("MATCH (g) RETURN max(g.x) AS m", "change_aggregation").values()) == [
        "MATCH (g) RETURN min(g.x) AS m"
    ]


def test_change_order():
    out = by_rule(EVIDENCE, "change_order")
    assert " ".join(out["ORDER BY dropped"].split()).endswith("RETURN gene AS gene, n AS n LIMIT 5")
    assert EVIDENCE.replace("n DESC", "n ASC") in out.values()
    assert EVIDENCE.replace("gene ASC", "gene DESC") in out.values()


def test_change_limit_includes_the_base_graph_row_count():
    out = by_rule(TARGETS, "change_limit", row_count=7)
    assert set(out) == {"LIMIT 200 -> 7", "LIMIT 200 -> 1"}
    assert set(by_rule(TARGETS, "change_limit")) == {"LIMIT 200 -> 199", "LIMIT 200 -> 1"}
    assert out["LIMIT 200 -> 7"].endswith("LIMIT 7")


def test_every_rule_is_tested_and_mutants_are_distinct_from_the_gold():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(RULES) <= {t.split("_includes")[0].split("_drops")[0].split("_replaces")[0] for t in tested}
    produced = mutants(EVIDENCE, VOCAB, row_count=3)
    texts = [m.cypher for m in produced]
    assert EVIDENCE not in texts and len(texts) == len(set(texts))


def test_server_accepts_only_parseable_read_only_mutants(neo4j_driver):
    produced = mutants(EVIDENCE, VOCAB, row_count=3)
    probes = run_untrusted_many(
        neo4j_driver, [m.cypher for m in produced] + ["CREATE (n:X) RETURN n", "MATCH (n RETURN"]
    )
    assert probes["CREATE (n:X) RETURN n"].accepted is False
    assert probes["MATCH (n RETURN"].accepted is False
    accepted = [m for m in produced if probes[m.cypher].accepted]
    # every mutant of EVIDENCE is read-only Cypher that parses: the server turns none of them away
    assert [(m.rule, m.detail) for m in produced if m not in accepted] == []
    assert len({m.rule for m in accepted}) == len(RULES) - 1  # every rule but swap_quantifier (no quantifier here)
    assert all(probes[m.cypher].outcome is None for m in accepted if m.rule == "drop_conjunct")
