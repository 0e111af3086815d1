"""F2 evidence questions, F4 multi-hop, F5 disease-centric and F6 compositions.

Evidence lives on AFFECTS_RESPONSE_TO relationships whose `disease_name` property names
the disease (there is no Disease relationship). A gene "stands for" its own evidence and
that of its variants: `CASE WHEN b:Gene THEN b ELSE vg END`.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from ..cypher import build as c
from .templates import Template, clean_diseases, distinct, evidence_in_clean_diseases, unambiguous_names


def _genes_for_therapy(effect=None, effect_column=False):
    def build(p):
        return c.query(
            "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)",
            f"WHERE {c.therapy('t', p['therapy_name'])}",
            f"  AND {c.effect('rel', effect)}" if effect else "",
            f"  AND {c.disease('rel', p['disease_name'])}",
            c.BIOMARKER_GENE_MATCH,
            f"WITH {c.BIOMARKER_GENE} AS g, rel",
            "WHERE g IS NOT NULL",
            "RETURN DISTINCT g.symbol AS gene_symbol" + (", rel.effect AS effect" if effect_column else ""),
            limit=200,
        )

    return build


def _variant_effect(p):
    return c.query(
        "MATCH (v:Variant)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)",
        f"WHERE {c.variant('v', p['variant_name'])}",
        f"  AND {c.therapy('t', p['therapy_name'])}",
        f"  AND {c.disease('rel', p['disease_name'])}",
        "RETURN DISTINCT rel.effect AS effect",
        limit=20,
    )


def _pmids(p):
    return c.query(
        "MATCH (v:Variant)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)",
        f"WHERE {c.variant('v', p['variant_name'])}",
        f"  AND {c.therapy('t', p['therapy_name'])}",
        f"  AND {c.effect('rel', p['effect'])}",
        "UNWIND coalesce(rel.pmids, []) AS pmid",
        "RETURN DISTINCT pmid AS pmid",
        limit=200,
    )


def _evidence_exists(var, disease):
    return f"EXISTS {{ MATCH (:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->({var}) WHERE {c.disease('rel', disease)} }}"


def _f4_1(p):
    return c.query(
        "MATCH (t:Therapy)-[:TARGETS]->(g:Gene)",
        f"WHERE {c.gene('g', p['gene_symbol'])}",
        f"  AND {_evidence_exists('t', p['disease_name'])}",
        "RETURN DISTINCT t.name AS therapy_name",
        limit=200,
    )


def _f4_2(p):
    return c.query(
        "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)",
        f"WHERE {c.therapy('t', p['therapy_name'])}",
        f"  AND {c.effect('rel', 'resistance')}",
        f"  AND {c.disease('rel', p['disease_name'])}",
        c.BIOMARKER_GENE_MATCH,
        f"WITH DISTINCT t, {c.BIOMARKER_GENE} AS g",
        "WHERE g IS NOT NULL",
        "MATCH (alt:Therapy)-[:TARGETS]->(g)",
        "WHERE alt <> t",
        "RETURN DISTINCT alt.name AS therapy_name",
        limit=300,
    )


def _f5_1(p):
    return c.query(
        "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(:Therapy)",
        f"WHERE {c.disease('rel', p['disease_name'])}",
        "RETURN DISTINCT coalesce(b.name, b.symbol) AS biomarker",
        limit=500,
    )


def _f5_2(p):
    return c.query(
        "MATCH (:Variant)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)",
        f"WHERE {c.disease('rel', p['disease_name'])}",
        "RETURN DISTINCT t.name AS therapy_name",
        limit=300,
    )


def _f5_3(p):
    return c.query(
        "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(:Therapy)",
        f"WHERE {c.disease('rel', p['disease_name'])}",
        c.BIOMARKER_GENE_MATCH,
        "WITH CASE WHEN b:Gene THEN b.symbol ELSE vg.symbol END AS gene_symbol, count(rel) AS evidence_count",
        "WHERE gene_symbol IS NOT NULL",
        "RETURN gene_symbol AS gene_symbol, evidence_count AS evidence_count",
        "ORDER BY evidence_count DESC, gene_symbol ASC",
        limit=5,
    )


def _f6_1(p):
    return c.query(
        "MATCH (b:Biomarker)-[rel:AFFECTS_RESPONSE_TO]->(t:Therapy)",
        f"WHERE ({c.therapy('t', p['therapy_name_a'])}",
        f"    OR {c.therapy('t', p['therapy_name_b'])})",
        f"  AND {c.effect('rel', 'resistance')}",
        f"  AND {c.disease('rel', p['disease_name'])}",
        c.BIOMARKER_GENE_MATCH,
        f"WITH {c.BIOMARKER_GENE} AS g",
        "WHERE g IS NOT NULL",
        "RETURN DISTINCT g.symbol AS gene_symbol",
        limit=200,
    )


def _f6_2(p):
    return c.query(
        "MATCH (t:Therapy)-[:TARGETS]->(a:Gene)",
        f"WHERE {c.gene('a', p['gene_symbol_a'])}",
        f"  AND NOT EXISTS {{ MATCH (t)-[:TARGETS]->(b:Gene) WHERE {c.gene('b', p['gene_symbol_b'])} }}",
        f"  AND {_evidence_exists('t', p['disease_name'])}",
        "RETURN DISTINCT t.name AS therapy_name",
        limit=200,
    )


def _f6_3(p):
    return c.query(
        "MATCH (t:Therapy)-[:TARGETS]->(g:Gene)",
        f"WHERE {c.gene('g', p['gene_symbol'])}",
        "MATCH (v:Variant)-[:VARIANT_OF]->(g)",
        "MATCH (v)-[rel:AFFECTS_RESPONSE_TO]->(t)",
        f"WHERE {c.effect('rel', 'resistance')}",
        f"  AND {c.disease('rel', p['disease_name'])}",
        "RETURN DISTINCT t.name AS therapy_name",
        limit=200,
    )


def _f6_4(p):
    return c.query(
        "MATCH (v:Variant)-[r1:AFFECTS_RESPONSE_TO]->(t:Therapy)",
        f"WHERE {c.variant('v', p['variant_name'])}",
        f"  AND {c.therapy('t', p['therapy_name'])}",
        f"  AND {c.effect('r1', 'resistance')}",
        f"  AND {c.disease('r1', p['disease_name'])}",
        "MATCH (v)-[r2:AFFECTS_RESPONSE_TO]->(alt:Therapy)",
        f"WHERE alt <> t AND {c.effect('r2', 'sensitivity')}",
        f"  AND {c.disease('r2', p['disease_name'])}",
        "RETURN DISTINCT alt.name AS therapy_name",
        limit=200,
    )


# --- candidate placeholder values -----------------------------------------------------------


def _therapy_disease(effect=None):
    def candidates(snap):
        return distinct(
            [
                {"therapy_name": e.therapy, "disease_name": d}
                for e, d in evidence_in_clean_diseases(snap)
                if e.gene and (effect is None or e.effect == effect)
            ]
        )

    return candidates


def _variant_therapy_disease(snap):
    return distinct(
        [
            {"variant_name": e.biomarker, "therapy_name": e.therapy, "disease_name": d}
            for e, d in evidence_in_clean_diseases(snap)
            if e.kind == "variant"
        ]
    )


def _variant_therapy_wrong_disease(snap):
    """A variant-therapy pair with evidence, asked about a disease where that pair has none."""
    pairs, therapy_diseases = defaultdict(set), defaultdict(set)
    for e, d in evidence_in_clean_diseases(snap):
        therapy_diseases[e.therapy].add(d)
        if e.kind == "variant":
            pairs[(e.biomarker, e.therapy)].add(d)
    return distinct(
        [
            {"variant_name": v, "therapy_name": t, "disease_name": d}
            for (v, t), ds in pairs.items()
            for d in therapy_diseases[t] - ds
        ]
    )


def _pmid_candidates(snap):
    therapies, variants = unambiguous_names(snap, "therapy"), unambiguous_names(snap, "variant")
    return distinct(
        [
            {"variant_name": e.biomarker, "therapy_name": e.therapy, "effect": e.effect}
            for e in snap.evidence
            if e.kind == "variant"
            and e.pmids
            and e.therapy in therapies
            and e.biomarker in variants
            and e.effect in ("resistance", "sensitivity")
        ]
    )


def _therapy_evidence_diseases(snap):
    out = defaultdict(set)
    for e, d in evidence_in_clean_diseases(snap):
        out[e.therapy].add(d)
    return out


def _gene_disease(snap, empty=False):
    genes = unambiguous_names(snap, "gene")
    diseases = _therapy_evidence_diseases(snap)
    all_diseases = set(clean_diseases(snap).values())
    out = []
    for gene, therapies in snap.targeted_by().items():
        if gene in genes:
            hit = set().union(*(diseases.get(t, set()) for t in therapies))
            out += [{"gene_symbol": gene, "disease_name": d} for d in (all_diseases - hit if empty else hit)]
    return distinct(out)


def _resistance_with_alternatives(snap):
    targeted = snap.targeted_by()
    return distinct(
        [
            {"therapy_name": e.therapy, "disease_name": d}
            for e, d in evidence_in_clean_diseases(snap)
            if e.effect == "resistance" and e.gene and set(targeted.get(e.gene, ())) - {e.therapy}
        ]
    )


def _diseases(kind=None, min_genes=0):
    def candidates(snap):
        genes, kinds = defaultdict(set), defaultdict(set)
        for e, d in evidence_in_clean_diseases(snap):
            kinds[d].add(e.kind)
            if e.gene:
                genes[d].add(e.gene)
        return distinct(
            [{"disease_name": d} for d in kinds if (kind is None or kind in kinds[d]) and len(genes[d]) >= min_genes]
        )

    return candidates


def _resistance_union(snap):
    resistant, any_evidence = defaultdict(set), defaultdict(set)
    for e, d in evidence_in_clean_diseases(snap):
        any_evidence[d].add(e.therapy)
        if e.effect == "resistance" and e.gene:
            resistant[d].add(e.therapy)
    out = []
    for d, therapies in any_evidence.items():
        for a, b in combinations(sorted(therapies), 2):
            if a in resistant[d] or b in resistant[d]:
                out.append({"therapy_name_a": a, "therapy_name_b": b, "disease_name": d})
    return distinct(out)


def _target_not_other_in_disease(snap):
    genes = unambiguous_names(snap, "gene")
    by_gene = {g: set(ts) for g, ts in snap.targeted_by().items() if g in genes}
    diseases = _therapy_evidence_diseases(snap)
    out = []
    for a, b in combinations(sorted(by_gene), 2):
        if by_gene[a] & by_gene[b]:
            for x, y in ((a, b), (b, a)):
                for therapy in by_gene[x] - by_gene[y]:
                    out += [
                        {"gene_symbol_a": x, "gene_symbol_b": y, "disease_name": d} for d in diseases.get(therapy, ())
                    ]
    return distinct(out)


def _on_target_resistance(snap):
    targets = set(snap.targets)
    genes = unambiguous_names(snap, "gene")
    return distinct(
        [
            {"gene_symbol": e.gene, "disease_name": d}
            for e, d in evidence_in_clean_diseases(snap)
            if e.kind == "variant" and e.effect == "resistance" and e.gene in genes and (e.therapy, e.gene) in targets
        ]
    )


def _resistance_then_sensitivity(snap):
    sensitive = defaultdict(set)
    rows = list(evidence_in_clean_diseases(snap))
    for e, d in rows:
        if e.kind == "variant" and e.effect == "sensitivity":
            sensitive[(e.biomarker, d)].add(e.therapy)
    return distinct(
        [
            {"variant_name": e.biomarker, "therapy_name": e.therapy, "disease_name": d}
            for e, d in rows
            if e.kind == "variant" and e.effect == "resistance" and sensitive[(e.biomarker, d)] - {e.therapy}
        ]
    )


T, D, V, G = (
    ("therapy_name", "therapy"),
    ("disease_name", "disease"),
    ("variant_name", "variant"),
    ("gene_symbol", "gene"),
)
E = ("effect", "effect")

TEMPLATES = [
    Template(
        "f2_2_genes_affecting_therapy_in_disease",
        "F2.2a",
        "F2",
        (T, D),
        (
            "Which genes affect response to {therapy_name} in {disease_name}, and with what effect?",
            "List the genes with evidence affecting {therapy_name} in {disease_name}, with the effect of each.",
            "How do genes influence response to {therapy_name} in {disease_name}? Give each gene and its effect.",
            "In {disease_name}, which genes modify response to {therapy_name} and how?",
            "For {therapy_name} in {disease_name}, tell me each gene with response evidence and the effect it has.",
        ),
        _genes_for_therapy(effect_column=True),
        _therapy_disease(),
    ),
    Template(
        "f2_2_resistance_genes_for_therapy_in_disease",
        "F2.2b",
        "F2",
        (T, D),
        (
            "Which genes are associated with resistance to {therapy_name} in {disease_name}?",
            "List genes conferring resistance to {therapy_name} in {disease_name}.",
            "In {disease_name}, which genes predict resistance to {therapy_name}?",
            "What genes drive resistance to {therapy_name} in {disease_name}?",
            "For patients with {disease_name} on {therapy_name}, tell me the genes linked to resistance.",
        ),
        _genes_for_therapy("resistance"),
        _therapy_disease("resistance"),
    ),
    Template(
        "f2_2_sensitivity_genes_for_therapy_in_disease",
        "F2.2c",
        "F2",
        (T, D),
        (
            "Which genes are associated with sensitivity to {therapy_name} in {disease_name}?",
            "List genes that predict response (sensitivity) to {therapy_name} in {disease_name}.",
            "In {disease_name}, which genes confer sensitivity to {therapy_name}?",
            "What genes are sensitivity biomarkers for {therapy_name} in {disease_name}?",
            "For patients with {disease_name} on {therapy_name}, tell me the genes linked to sensitivity.",
        ),
        _genes_for_therapy("sensitivity"),
        _therapy_disease("sensitivity"),
    ),
    Template(
        "f2_2_variant_effect_on_therapy_in_disease",
        "F2.2d",
        "F2",
        (V, T, D),
        (
            "How does {variant_name} affect response to {therapy_name} in {disease_name}?",
            "What is the effect of {variant_name} on {therapy_name} in {disease_name}?",
            "Does {variant_name} predict sensitivity or resistance to {therapy_name} in {disease_name}?",
            "In {disease_name}, what response to {therapy_name} is associated with {variant_name}?",
            "Tell me the effect {variant_name} has on response to {therapy_name} in {disease_name}.",
        ),
        _variant_effect,
        _variant_therapy_disease,
        negatives=_variant_therapy_wrong_disease,
    ),
    Template(
        "f2_3_pmids_for_variant_therapy_effect",
        "F2.3",
        "F2",
        (V, T, E),
        (
            "Which PMIDs support {effect} to {therapy_name} associated with {variant_name}?",
            "List the publications (PMIDs) reporting that {variant_name} confers {effect} to {therapy_name}.",
            "What PubMed IDs back the {effect} of {variant_name} to {therapy_name}?",
            "Give the PMIDs for evidence of {effect} to {therapy_name} in carriers of {variant_name}.",
            "For {variant_name} and {therapy_name}, which PubMed IDs report {effect}?",
        ),
        _pmids,
        _pmid_candidates,
    ),
    Template(
        "f4_1_targeting_therapies_with_evidence_in_disease",
        "F4.1",
        "F4",
        (G, D),
        (
            "Which therapies that target {gene_symbol} have biomarker evidence in {disease_name}?",
            "List drugs targeting {gene_symbol} that have response evidence in {disease_name}.",
            "Among therapies acting on {gene_symbol}, which have biomarker evidence in {disease_name}?",
            "What {gene_symbol}-targeting therapies have been studied with biomarkers in {disease_name}?",
            "For {disease_name}, tell me the drugs that hit {gene_symbol} and have biomarker evidence there.",
        ),
        _f4_1,
        _gene_disease,
        negatives=lambda s: _gene_disease(s, empty=True),
    ),
    Template(
        "f4_2_alternatives_targeting_resistance_genes",
        "F4.2",
        "F4",
        (T, D),
        (
            "Which other therapies target the genes implicated in resistance to {therapy_name} in {disease_name}?",
            "List alternative drugs that target the resistance genes of {therapy_name} in {disease_name}.",
            "In {disease_name}, which therapies act on genes whose biomarkers confer resistance to {therapy_name}?",
            "What alternatives to {therapy_name} target the genes behind its resistance in {disease_name}?",
            "Some genes mediate resistance to {therapy_name} in {disease_name}; which other therapies target those genes?",
        ),
        _f4_2,
        _resistance_with_alternatives,
    ),
    Template(
        "f5_1_biomarkers_in_disease",
        "F5.1",
        "F5",
        (D,),
        (
            "Which biomarkers have therapy response evidence in {disease_name}?",
            "List the biomarkers with evidence in {disease_name}.",
            "What genes or variants are biomarkers of treatment response in {disease_name}?",
            "Show the biomarkers reported for {disease_name}.",
            "For {disease_name}, tell me every gene or variant with evidence affecting therapy response.",
        ),
        _f5_1,
        _diseases(),
    ),
    Template(
        "f5_2_therapies_with_variant_evidence_in_disease",
        "F5.2",
        "F5",
        (D,),
        (
            "Which therapies have variant-level biomarker evidence in {disease_name}?",
            "List drugs with variant-based response evidence in {disease_name}.",
            "What therapies are linked to variant biomarkers in {disease_name}?",
            "Show therapies for which a variant affects response in {disease_name}.",
            "For {disease_name}, which drugs have a variant biomarker affecting response to them?",
        ),
        _f5_2,
        _diseases("variant"),
    ),
    Template(
        "f5_3_top_genes_by_evidence_in_disease",
        "F5.3",
        "F5",
        (D,),
        (
            "Which 5 genes have the most biomarker evidence in {disease_name}? Order by evidence count, most first, ties by gene symbol.",
            "List the top 5 genes by number of evidence items in {disease_name} (descending count, then symbol).",
            "In {disease_name}, what are the five genes with the most therapy-response evidence, highest count first and ties alphabetical?",
            "Rank genes by their biomarker evidence count in {disease_name} and return the first 5 (ties broken by symbol).",
            "For {disease_name}, give the five genes with the most biomarker evidence and their counts, sorted by count descending and then by symbol.",
        ),
        _f5_3,
        _diseases(min_genes=2),
        ordered=True,
    ),
    Template(
        "f6_1_resistance_genes_for_a_or_b_in_disease",
        "F6.1",
        "F6",
        (("therapy_name_a", "therapy"), ("therapy_name_b", "therapy"), D),
        (
            "Which genes confer resistance to {therapy_name_a} or {therapy_name_b} in {disease_name}?",
            "List genes associated with resistance to either {therapy_name_a} or {therapy_name_b} in {disease_name}.",
            "In {disease_name}, which genes predict resistance to {therapy_name_a} or to {therapy_name_b}?",
            "What genes drive resistance to {therapy_name_a} or {therapy_name_b} in {disease_name}?",
            "For {disease_name}, tell me the genes linked to resistance to {therapy_name_a}, to {therapy_name_b}, or to both.",
        ),
        _f6_1,
        _resistance_union,
    ),
    Template(
        "f6_2_targeting_a_not_b_with_evidence_in_disease",
        "F6.2",
        "F6",
        (("gene_symbol_a", "gene"), ("gene_symbol_b", "gene"), D),
        (
            "Which therapies target {gene_symbol_a} but not {gene_symbol_b} and have biomarker evidence in {disease_name}?",
            "List drugs acting on {gene_symbol_a} and not on {gene_symbol_b} that have response evidence in {disease_name}.",
            "Among therapies with evidence in {disease_name}, which target {gene_symbol_a} without targeting {gene_symbol_b}?",
            "What therapies with biomarker evidence in {disease_name} target {gene_symbol_a} but spare {gene_symbol_b}?",
            "I need the drugs that hit {gene_symbol_a} and not {gene_symbol_b}, restricted to those with biomarker evidence in {disease_name}.",
        ),
        _f6_2,
        _target_not_other_in_disease,
    ),
    Template(
        "f6_3_targeting_gene_with_variant_resistance_in_disease",
        "F6.3",
        "F6",
        (G, D),
        (
            "Which therapies targeting {gene_symbol} meet resistance from {gene_symbol} variants in {disease_name}?",
            "List drugs that target {gene_symbol} and to which a {gene_symbol} variant confers resistance in {disease_name}.",
            "In {disease_name}, which {gene_symbol}-targeting therapies have resistance evidence from variants of {gene_symbol}?",
            "What therapies aimed at {gene_symbol} are undermined by resistant {gene_symbol} variants in {disease_name}?",
            "For {disease_name}, tell me the drugs that target {gene_symbol} and face resistance from a variant of {gene_symbol}.",
        ),
        _f6_3,
        _on_target_resistance,
    ),
    Template(
        "f6_4_alternatives_for_resistance_in_disease",
        "F6.4",
        "F6",
        (V, T, D),
        (
            "{variant_name} confers resistance to {therapy_name} in {disease_name}; which other therapies is it sensitive to there?",
            "Which alternative therapies show sensitivity for {variant_name} in {disease_name}, where it is resistant to {therapy_name}?",
            "For {variant_name} resistant to {therapy_name} in {disease_name}, list therapies with sensitivity evidence in the same disease.",
            "What other drugs could work in {disease_name} for {variant_name}, given its resistance to {therapy_name}?",
            "Given resistance to {therapy_name} from {variant_name} in {disease_name}, which other therapies have sensitivity evidence for that variant in that disease?",
        ),
        _f6_4,
        _resistance_then_sensitivity,
    ),
]
