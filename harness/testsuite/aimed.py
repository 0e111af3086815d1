"""Graph variants aimed at every entity a gold can name: twins and parallel facts.

Random perturbations spread over the graph rarely touch the two or three entities a gold
names, so a near miss that differs from the gold only around those entities survives them.
Each family here changes *every* entity or fact of a kind in one way, so whichever entities
a gold names, the change reaches them:

- `bare_twins`: each gene, therapy and variant gets a twin with a new name and no synonyms,
  linked to the original's partners. `all(s IN synonyms ...)` is true on an empty list, so an
  `any`->`all` near miss now picks up every twin; answers grow, so a lowered LIMIT cuts them.
- `synonym_twins`: twins that carry the original's name as a synonym, so a gold that names
  the original selects its twin too: every row repeats (a dropped DISTINCT shows), a variant
  twin with another consequence makes two answers where there was one.
- `parallel_facts`: beside existing relationships, one that differs in one respect: evidence
  with the other effect, in another disease, or in a disease whose name lacks one word of the
  original's (an `AND` between disease words turned into `OR` accepts it), a TARGETS with
  another mechanism, a repeated VARIANT_OF, the therapy targeting its own biomarker's gene.
- `biomarker_twins`: each biomarker's evidence repeated, changed as above, by new biomarkers
  whose genes are new: gene-level twins (only a `Biomarker`/`Gene` pattern finds them),
  variant twins of a new gene without evidence (only `VARIANT_OF` finds it), some without any gene.
- `homonyms`: a gene that has a variant's name as its synonym and that variant's evidence,
  changed: a query asking for a `Biomarker` where the gold asks for a `Variant` finds it.
- `stripped`: gene-level evidence removed, so a gene is no longer a `Biomarker`.

Each family takes its choices from the `random.Random` it is given; `variants.make_variant`
seeds it from (seed, index). New names extend the original's (`EGFR-tw`), so they stay
near-duplicates and never collide with a name of the graph.
"""

from __future__ import annotations

import random

from ..graph.csv_source import GraphData

SOURCE = "test-suite variant"
EFFECT_FLIP = {"resistance": "sensitivity", "sensitivity": "resistance"}
CONSEQUENCES = ("missense_variant", "inframe_deletion", "frameshift_variant", "stop_gained")


class _Names:
    """Fresh names: the original's with a tag, unique among every node key of the graph."""

    def __init__(self, data: GraphData):
        self.taken = {row.get("symbol") or row.get("name") for rows in _node_lists(data) for row in rows}

    def fresh(self, name: str, tag: str) -> str:
        candidate = f"{name}-{tag}"
        while candidate in self.taken:
            candidate += "x"
        self.taken.add(candidate)
        return candidate


def _node_lists(data: GraphData) -> tuple[list[dict], ...]:
    return data.genes, data.variants, data.therapies, data.diseases


def _evidence_key(row: dict) -> tuple:
    return tuple(row.get(k) for k in ("biomarker_type", "biomarker_name", "therapy_name", "effect", "disease_name"))


class _Evidence:
    """Evidence rows added without ever repeating (biomarker, therapy, effect, disease, source)."""

    def __init__(self, data: GraphData):
        self.data = data
        self.seen = {(*_evidence_key(r), r.get("source")) for r in data.affects_response}

    def add(self, row: dict) -> None:
        row = {**row, "source": SOURCE}
        row.pop("disease_id", None)
        key = (*_evidence_key(row), SOURCE)
        if key not in self.seen:
            self.seen.add(key)
            self.data.affects_response.append(row)


def _near_disease(name: str, rng: random.Random) -> str | None:
    """The disease name without one of its words (None for a one-word name)."""
    words = name.split()
    if len(words) < 2:
        return None
    del words[rng.randrange(len(words))]
    return " ".join(words)


def _changed_evidence(row: dict, rng: random.Random, diseases: list[str], therapies: list[str]) -> dict:
    """A copy of an evidence row with one to three things changed: effect, disease, therapy, pmids."""
    changed = dict(row)
    wanted = rng.choice(("effect", "disease", "near", "effect+disease", "effect+near", "therapy", "pmids"))
    if "effect" in wanted and row.get("effect") in EFFECT_FLIP:
        changed["effect"] = EFFECT_FLIP[row["effect"]]
    if "disease" in wanted and len(diseases) > 1:
        changed["disease_name"] = rng.choice([d for d in diseases if d != row.get("disease_name")])
    if "near" in wanted:
        changed["disease_name"] = _near_disease(row.get("disease_name") or "", rng) or rng.choice(diseases)
    if wanted == "therapy":
        changed["therapy_name"] = rng.choice(therapies)
    changed["pmids"] = [str(90000000 + rng.randrange(1000000))] if wanted == "pmids" or rng.random() < 0.5 else []
    return changed


def _pools(data: GraphData) -> tuple[list[str], list[str]]:
    diseases = sorted({r["disease_name"] for r in data.affects_response if r.get("disease_name")})
    return diseases, [t["name"] for t in data.therapies]


def _twin_nodes(rows: list[dict], key: str, names: _Names, rng, share: float, tag: str, synonyms) -> dict[str, dict]:
    """Twins of a share of `rows`: original key -> twin row (not yet added)."""
    twins = {}
    for row in rows:
        if rng.random() < share:
            twin = {**row, key: names.fresh(row[key], tag), "synonyms": synonyms(row)}
            twins[row[key]] = twin
    return twins


def _copy_links(data: GraphData, genes: dict, therapies: dict, variants: dict, rng, change_moa: float) -> None:
    """Copy each relationship of a twinned node onto its twin, partners unchanged."""
    evidence = _Evidence(data)
    for row in list(data.targets):
        if row["therapy_name"] in therapies:
            moa = row.get("moa") if rng.random() >= change_moa else f"{row.get('moa') or 'unknown'} (twin)"
            data.targets.append({**row, "therapy_name": therapies[row["therapy_name"]]["name"], "moa": moa})
        if row["gene_symbol"] in genes:
            data.targets.append({**row, "gene_symbol": genes[row["gene_symbol"]]["symbol"]})
    for row in list(data.variant_of):
        if row["variant_name"] in variants:
            data.variant_of.append({**row, "variant_name": variants[row["variant_name"]]["name"]})
        if row["gene_symbol"] in genes:
            data.variant_of.append({**row, "gene_symbol": genes[row["gene_symbol"]]["symbol"]})
    for row in list(data.affects_response):
        if row["therapy_name"] in therapies:
            evidence.add({**row, "therapy_name": therapies[row["therapy_name"]]["name"]})
        if row["biomarker_type"] == "variant" and row["biomarker_name"] in variants:
            evidence.add({**row, "biomarker_name": variants[row["biomarker_name"]]["name"]})
    data.genes += genes.values()
    data.therapies += therapies.values()
    data.variants += variants.values()


def bare_twins(data: GraphData, rng: random.Random) -> None:
    """Twins with no synonyms (genes without evidence of their own, so they are no `Biomarker`)."""
    names, share = _Names(data), rng.choice((0.6, 1.0))
    none = lambda row: []  # noqa: E731
    genes = _twin_nodes(data.genes, "symbol", names, rng, share, "tw", none)
    therapies = _twin_nodes(data.therapies, "name", names, rng, share, "tw", none)
    variants = _twin_nodes(data.variants, "name", names, rng, share, "tw", none)
    _copy_links(data, genes, therapies, variants, rng, change_moa=0.5)


def synonym_twins(data: GraphData, rng: random.Random) -> None:
    """Twins answering to the original's name; variant twins may differ in consequence and hgvs_p."""
    names, share = _Names(data), rng.choice((0.6, 1.0))

    def own(key):
        return lambda row: [row[key]]

    genes = _twin_nodes(data.genes, "symbol", names, rng, share, "syn", own("symbol"))
    therapies = _twin_nodes(data.therapies, "name", names, rng, share, "syn", own("name"))
    variants = _twin_nodes(data.variants, "name", names, rng, share, "syn", own("name"))
    for twin in variants.values():
        if rng.random() < 0.5:
            twin["consequence"] = rng.choice([c for c in CONSEQUENCES if c != twin.get("consequence")])
            twin["hgvs_p"] = f"{twin.get('hgvs_p') or 'p.?'}*"
    _copy_links(data, genes, therapies, variants, rng, change_moa=0.0)


def parallel_facts(data: GraphData, rng: random.Random) -> None:
    """A second relationship beside a share of the existing ones, changed in one respect."""
    share = rng.choice((0.5, 0.8))
    diseases, therapies = _pools(data)
    evidence = _Evidence(data)
    gene_of = {}
    for row in data.variant_of:
        gene_of.setdefault(row["variant_name"], row["gene_symbol"])
    targets = {(r["therapy_name"], r["gene_symbol"]) for r in data.targets}
    for row in list(data.affects_response):
        if rng.random() < share:
            evidence.add(_changed_evidence(row, rng, diseases, therapies))
        gene = row["biomarker_name"] if row["biomarker_type"] == "gene" else gene_of.get(row["biomarker_name"])
        if gene and (row["therapy_name"], gene) not in targets and rng.random() < share / 2:
            targets.add((row["therapy_name"], gene))
            data.targets.append({"therapy_name": row["therapy_name"], "gene_symbol": gene, "source": SOURCE})
    for row in list(data.targets):
        if rng.random() < share:
            moa = row.get("moa") if rng.random() < 0.5 else f"{row.get('moa') or 'unknown'} (parallel)"
            data.targets.append({**row, "moa": moa, "ref_ids": [f"{SOURCE}"], "source": SOURCE})
    data.variant_of += [dict(row) for row in data.variant_of if rng.random() < share / 2]


def biomarker_twins(data: GraphData, rng: random.Random) -> None:
    """Each biomarker's evidence repeated, changed, by a new gene-level or variant-level biomarker."""
    names, share = _Names(data), rng.choice((0.6, 1.0))
    diseases, therapies = _pools(data)
    evidence = _Evidence(data)
    gene_of = {}
    for row in data.variant_of:
        gene_of.setdefault(row["variant_name"], row["gene_symbol"])
    gene_twin: dict[str, str] = {}  # biomarker -> its new gene-level twin
    variant_gene: dict[str, str] = {}  # original gene -> the new gene of its variants' twins
    variant_twin: dict[str, str] = {}
    for row in list(data.affects_response):
        if rng.random() >= share:
            continue
        copy = _changed_evidence(row, rng, diseases, therapies) if rng.random() < 0.7 else dict(row)
        name = row["biomarker_name"]
        if row["biomarker_type"] == "gene":
            if name not in gene_twin:
                gene_twin[name] = names.fresh(name, "bm")
                data.genes.append({"symbol": gene_twin[name], "synonyms": []})
            evidence.add({**copy, "biomarker_name": gene_twin[name]})
            continue
        if name not in variant_twin:
            variant_twin[name] = names.fresh(name, "bm")
            original = next(v for v in data.variants if v["name"] == name)
            data.variants.append({**original, "name": variant_twin[name], "synonyms": []})
            gene = gene_of.get(name)
            if gene and rng.random() < 0.75:  # the others: variants of no gene
                if gene not in variant_gene:
                    variant_gene[gene] = names.fresh(gene, "vg")
                    data.genes.append({"symbol": variant_gene[gene], "synonyms": []})
                data.variant_of.append({"variant_name": variant_twin[name], "gene_symbol": variant_gene[gene]})
        evidence.add({**copy, "biomarker_name": variant_twin[name]})


def homonyms(data: GraphData, rng: random.Random) -> None:
    """Genes named like a variant (its name their synonym) with that variant's evidence, changed."""
    names, share = _Names(data), rng.choice((0.6, 1.0))
    diseases, therapies = _pools(data)
    evidence = _Evidence(data)
    made: dict[str, str] = {}
    for row in list(data.affects_response):
        if row["biomarker_type"] != "variant" or rng.random() >= share:
            continue
        name = row["biomarker_name"]
        if name not in made:
            made[name] = names.fresh(name.split()[0], "hom")
            data.genes.append({"symbol": made[name], "synonyms": [name]})
        copy = _changed_evidence(row, rng, diseases, therapies) if rng.random() < 0.5 else dict(row)
        evidence.add({**copy, "biomarker_type": "gene", "biomarker_name": made[name]})


def stripped(data: GraphData, rng: random.Random) -> None:
    """Gene-level evidence removed (all of it, or most): those genes are no longer `Biomarker`s."""
    share = rng.choice((0.7, 1.0))
    data.affects_response = [r for r in data.affects_response if r["biomarker_type"] != "gene" or rng.random() >= share]


FAMILIES = {
    "bare_twins": bare_twins,
    "synonym_twins": synonym_twins,
    "parallel_facts": parallel_facts,
    "biomarker_twins": biomarker_twins,
    "homonyms": homonyms,
    "stripped": stripped,
}
