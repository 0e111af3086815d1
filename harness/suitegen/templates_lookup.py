"""F1 lookups, F2 target and variant properties, F3 set operations over TARGETS.

Each gold answers exactly what its question asks, with DISTINCT where the question asks
for a set of entities, so a correct query need not guess extra columns.
"""

from __future__ import annotations

from itertools import combinations

from ..cypher import build as c
from .templates import Template, distinct, unambiguous_names


def _f1_1(p):
    return c.query(
        "MATCH (t:Therapy)-[:TARGETS]->(g:Gene)",
        f"WHERE {c.gene('g', p['gene_symbol'])}",
        "RETURN DISTINCT t.name AS therapy_name",
        limit=200,
    )


def _f1_2(p):
    return c.query(
        "MATCH (t:Therapy)-[:TARGETS]->(g:Gene)",
        f"WHERE {c.therapy('t', p['therapy_name'])}",
        "RETURN DISTINCT g.symbol AS gene_symbol",
        limit=200,
    )


def _f1_3(p):
    return c.query(
        "MATCH (v:Variant)-[:VARIANT_OF]->(g:Gene)",
        f"WHERE {c.variant('v', p['variant_name'])}",
        "RETURN DISTINCT g.symbol AS gene_symbol",
        limit=10,
    )


def _f1_4(p):
    return c.query(
        "MATCH (v:Variant)-[:VARIANT_OF]->(g:Gene)",
        f"WHERE {c.gene('g', p['gene_symbol'])}",
        "RETURN DISTINCT v.name AS variant_name",
        limit=500,
    )


def _pair(p, returns):
    return c.query(
        "MATCH (t:Therapy)-[r:TARGETS]->(g:Gene)",
        f"WHERE {c.therapy('t', p['therapy_name'])}",
        f"  AND {c.gene('g', p['gene_symbol'])}",
        returns,
        limit=20,
    )


def _f2_1_moa(p):
    return _pair(p, "RETURN DISTINCT r.moa AS mechanism_of_action")


def _f2_1_refs(p):
    return _pair(p, "RETURN DISTINCT coalesce(r.ref_sources, []) AS ref_sources, coalesce(r.ref_ids, []) AS ref_ids")


def _variant_prop(prop, alias):
    def build(p):
        return c.query(
            "MATCH (v:Variant)",
            f"WHERE {c.variant('v', p['variant_name'])}",
            f"RETURN DISTINCT v.{prop} AS {alias}",
            limit=10,
        )

    return build


def _f3_or(p):
    return c.query(
        "MATCH (t:Therapy)-[:TARGETS]->(g:Gene)",
        f"WHERE {c.gene('g', p['gene_symbol_a'])}",
        f"   OR {c.gene('g', p['gene_symbol_b'])}",
        "RETURN DISTINCT t.name AS therapy_name",
        limit=300,
    )


def _f3_and(p):
    return c.query(
        "MATCH (t:Therapy)-[:TARGETS]->(a:Gene), (t)-[:TARGETS]->(b:Gene)",
        f"WHERE {c.gene('a', p['gene_symbol_a'])}",
        f"  AND {c.gene('b', p['gene_symbol_b'])}",
        "RETURN DISTINCT t.name AS therapy_name",
        limit=200,
    )


def _f3_not(p):
    return c.query(
        "MATCH (t:Therapy)-[:TARGETS]->(a:Gene)",
        f"WHERE {c.gene('a', p['gene_symbol_a'])}",
        f"  AND NOT EXISTS {{ MATCH (t)-[:TARGETS]->(b:Gene) WHERE {c.gene('b', p['gene_symbol_b'])} }}",
        "RETURN DISTINCT t.name AS therapy_name",
        limit=200,
    )


# --- candidate placeholder values -----------------------------------------------------------


def _targeted_genes(snap):
    genes = unambiguous_names(snap, "gene")
    return distinct([{"gene_symbol": g} for g in snap.targeted_by() if g in genes])


def _targeting_therapies(snap):
    therapies = unambiguous_names(snap, "therapy")
    return distinct([{"therapy_name": t} for t in snap.targets_of() if t in therapies])


def _variants_with_gene(snap):
    variants = unambiguous_names(snap, "variant")
    return distinct([{"variant_name": v} for v, props in snap.variants.items() if props["gene"] and v in variants])


def _genes_with_variants(snap):
    genes = unambiguous_names(snap, "gene")
    return distinct([{"gene_symbol": g} for g in snap.variants_of() if g in genes])


def _genes_without_variants(snap):
    with_variants = set(snap.variants_of())
    return distinct([{"gene_symbol": g} for g in unambiguous_names(snap, "gene") if g not in with_variants])


def _target_pairs(snap):
    genes, therapies = unambiguous_names(snap, "gene"), unambiguous_names(snap, "therapy")
    return distinct([{"therapy_name": t, "gene_symbol": g} for t, g in snap.targets if t in therapies and g in genes])


def _variant_prop_candidates(prop):
    def candidates(snap):
        variants = unambiguous_names(snap, "variant")
        return distinct(
            [{"variant_name": v} for v, props in snap.variants.items() if props.get(prop) and v in variants]
        )

    return candidates


def _gene_pairs(snap, want):
    """Pairs of targeted genes: 'or' (any), 'and' (sharing a therapy), 'none' (sharing none),
    'not' (sharing one, and A has a therapy B lacks, so the exclusion matters)."""
    genes = unambiguous_names(snap, "gene")
    by_gene = {g: set(ts) for g, ts in snap.targeted_by().items() if g in genes}
    out = []
    for a, b in combinations(sorted(by_gene), 2):
        shared = by_gene[a] & by_gene[b]
        if want == "or" or (want == "and" and shared) or (want == "none" and not shared):
            out.append({"gene_symbol_a": a, "gene_symbol_b": b})
        elif want == "not" and shared:
            out.extend({"gene_symbol_a": x, "gene_symbol_b": y} for x, y in ((a, b), (b, a)) if by_gene[x] - by_gene[y])
    return distinct(out)


G, T, V = ("gene_symbol", "gene"), ("therapy_name", "therapy"), ("variant_name", "variant")
GA, GB = ("gene_symbol_a", "gene"), ("gene_symbol_b", "gene")

TEMPLATES = [
    Template(
        "f1_1_therapies_targeting_gene",
        "F1.1",
        "F1",
        (G,),
        (
            "Which therapies target {gene_symbol}?",
            "List the drugs that target {gene_symbol}.",
            "What therapies act on the gene {gene_symbol}?",
            "Name all therapies with {gene_symbol} as a target.",
            "Which treatments are directed against {gene_symbol}?",
            "For the gene {gene_symbol}, tell me every drug known to target it.",
        ),
        _f1_1,
        _targeted_genes,
    ),
    Template(
        "f1_2_genes_targeted_by_therapy",
        "F1.2",
        "F1",
        (T,),
        (
            "Which genes does {therapy_name} target?",
            "List the gene targets of {therapy_name}.",
            "What genes are targeted by {therapy_name}?",
            "Name the genes {therapy_name} acts on.",
            "{therapy_name} is directed against which genes?",
        ),
        _f1_2,
        _targeting_therapies,
    ),
    Template(
        "f1_3_gene_of_variant",
        "F1.3",
        "F1",
        (V,),
        (
            "Which gene is {variant_name} a variant of?",
            "What gene does the variant {variant_name} belong to?",
            "Name the gene harbouring {variant_name}.",
            "{variant_name} is a variant of which gene?",
            "Tell me the parent gene of the variant {variant_name}.",
        ),
        _f1_3,
        _variants_with_gene,
    ),
    Template(
        "f1_4_variants_of_gene",
        "F1.4",
        "F1",
        (G,),
        (
            "List the variants of {gene_symbol}.",
            "Which variants of the {gene_symbol} gene are in the graph?",
            "What are the known variants of {gene_symbol}?",
            "Show all variants that belong to {gene_symbol}.",
            "For {gene_symbol}, which variants does the graph contain?",
        ),
        _f1_4,
        _genes_with_variants,
        negatives=_genes_without_variants,
    ),
    Template(
        "f2_1_targets_mechanism",
        "F2.1a",
        "F2",
        (T, G),
        (
            "What is the mechanism of action of {therapy_name} on {gene_symbol}?",
            "How does {therapy_name} act on {gene_symbol}?",
            "Describe the mechanism by which {therapy_name} targets {gene_symbol}.",
            "What mechanism of action links {therapy_name} to its target {gene_symbol}?",
            "Tell me how {therapy_name} works against {gene_symbol}, i.e. its mechanism of action.",
        ),
        _f2_1_moa,
        _target_pairs,
    ),
    Template(
        "f2_1_targets_references",
        "F2.1b",
        "F2",
        (T, G),
        (
            "Which reference sources and IDs support {therapy_name} targeting {gene_symbol}?",
            "List the reference sources and reference IDs for {therapy_name} targeting {gene_symbol}.",
            "What references (sources and IDs) back the claim that {therapy_name} targets {gene_symbol}?",
            "Give the supporting reference sources and IDs for the target link between {therapy_name} and {gene_symbol}.",
            "For {therapy_name} acting on {gene_symbol}, what are the reference sources and reference IDs?",
        ),
        _f2_1_refs,
        _target_pairs,
    ),
    Template(
        "f2_4_variant_hgvs_p",
        "F2.4a",
        "F2",
        (V,),
        (
            "What is the protein change (HGVS p.) of {variant_name}?",
            "Give the HGVS protein notation for {variant_name}.",
            "What is the hgvs_p of the variant {variant_name}?",
            "Report the protein-level HGVS description of {variant_name}.",
            "For the variant {variant_name}, tell me its HGVS p. notation.",
        ),
        _variant_prop("hgvs_p", "hgvs_p"),
        _variant_prop_candidates("hgvs_p"),
    ),
    Template(
        "f2_4_variant_consequence",
        "F2.4b",
        "F2",
        (V,),
        (
            "What is the molecular consequence of {variant_name}?",
            "Which consequence type does {variant_name} have?",
            "Report the consequence annotation of the variant {variant_name}.",
            "What kind of variant is {variant_name} (its consequence)?",
            "For {variant_name}, what consequence is recorded?",
        ),
        _variant_prop("consequence", "consequence"),
        _variant_prop_candidates("consequence"),
    ),
    Template(
        "f3_1_therapies_targeting_a_or_b",
        "F3.1",
        "F3",
        (GA, GB),
        (
            "Which therapies target {gene_symbol_a} or {gene_symbol_b}?",
            "List drugs that target either {gene_symbol_a} or {gene_symbol_b}.",
            "What therapies act on {gene_symbol_a} or on {gene_symbol_b}?",
            "Name every therapy targeting at least one of {gene_symbol_a} and {gene_symbol_b}.",
            "I want every drug that hits {gene_symbol_a}, {gene_symbol_b}, or both.",
        ),
        _f3_or,
        lambda s: _gene_pairs(s, "or"),
    ),
    Template(
        "f3_2_therapies_targeting_a_and_b",
        "F3.2",
        "F3",
        (GA, GB),
        (
            "Which therapies target both {gene_symbol_a} and {gene_symbol_b}?",
            "List drugs that act on {gene_symbol_a} as well as {gene_symbol_b}.",
            "What therapies have both {gene_symbol_a} and {gene_symbol_b} as targets?",
            "Name the therapies that target {gene_symbol_a} and also {gene_symbol_b}.",
            "Tell me the drugs whose targets include both {gene_symbol_a} and {gene_symbol_b}.",
        ),
        _f3_and,
        lambda s: _gene_pairs(s, "and"),
        negatives=lambda s: _gene_pairs(s, "none"),
    ),
    Template(
        "f3_3_therapies_targeting_a_not_b",
        "F3.3",
        "F3",
        (GA, GB),
        (
            "Which therapies target {gene_symbol_a} but not {gene_symbol_b}?",
            "List drugs that act on {gene_symbol_a} without targeting {gene_symbol_b}.",
            "What therapies target {gene_symbol_a} and do not target {gene_symbol_b}?",
            "Name therapies with {gene_symbol_a} as a target, excluding those that also target {gene_symbol_b}.",
            "Of the drugs that hit {gene_symbol_a}, which ones leave {gene_symbol_b} untargeted?",
        ),
        _f3_not,
        lambda s: _gene_pairs(s, "not"),
    ),
]
