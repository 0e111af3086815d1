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


def evidence_key(row: dict) -> tuple:
    """What makes two evidence rows the same fact from the same source (no variant repeats one)."""
    return tuple(
        row.get(k) for k in ("biomarker_type", "biomarker_name", "therapy_name", "effect", "disease_name", "source")
    )


class _Evidence:
    """Evidence rows added without ever repeating (biomarker, therapy, effect, disease, source)."""

    def __init__(self, data: GraphData):
        self.data = data
        self.seen = {evidence_key(r) for r in data.affects_response}

    def add(self, row: dict) -> None:
        row = {**row, "source": SOURCE}
        row.pop("disease_id", None)
        key = evidence_key(row)
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


CHANGES = ("effect", "disease", "near", "effect+near", "therapy", "therapy+effect", "therapy+near")


class _Changer:
    """Copies of evidence rows with one or two things changed (effect, disease, therapy), fresh pmids."""

    def __init__(self, data: GraphData, rng: random.Random):
        self.rng = rng
        self.diseases = sorted({r["disease_name"] for r in data.affects_response if r.get("disease_name")})
        self.therapies = [t["name"] for t in data.therapies]

    def changed(self, row: dict, wanted: str | None = None) -> dict:
        rng, changed = self.rng, dict(row)
        wanted = wanted or rng.choice(CHANGES)
        if "effect" in wanted and row.get("effect") in EFFECT_FLIP:
            changed["effect"] = EFFECT_FLIP[row["effect"]]
        if "disease" in wanted.split("+") or (
            "near" in wanted and not _near_disease(row.get("disease_name") or "", rng)
        ):
            changed["disease_name"] = rng.choice([d for d in self.diseases if d != row.get("disease_name")])
        elif "near" in wanted:
            changed["disease_name"] = _near_disease(row.get("disease_name") or "", rng)
        if "therapy" in wanted:
            changed["therapy_name"] = rng.choice([t for t in self.therapies if t != row["therapy_name"]])
        return self.fresh_pmids(changed)

    def fresh_pmids(self, row: dict) -> dict:
        return {**row, "pmids": [str(90000000 + self.rng.randrange(1000000))]}


def _twin_nodes(rows: list[dict], key: str, names: _Names, rng, share: float, tag: str, synonyms) -> dict[str, dict]:
    """Twins of a share of `rows`: original key -> twin row (not yet added)."""
    twins = {}
    for row in rows:
        if rng.random() < share:
            twin = {**row, key: names.fresh(row[key], tag), "synonyms": synonyms(row[key])}
            twins[row[key]] = twin
    return twins


def _copy_links(data: GraphData, genes: dict, therapies: dict, variants: dict, changer: _Changer | None) -> None:
    """Copy each relationship of a twinned node onto its twin, partners unchanged; with a `changer`,
    copied TARGETS name another mechanism and copied evidence has new pmids, half of it the other effect."""
    evidence = _Evidence(data)

    def moa(row: dict) -> str | None:
        return f"{row.get('moa') or 'unknown'} (twin)" if changer else row.get("moa")

    def copied(row: dict) -> dict:
        if not changer:
            return row
        return changer.changed(row, "effect") if changer.rng.random() < 0.5 else changer.fresh_pmids(row)

    for row in list(data.targets):
        if row["therapy_name"] in therapies:
            data.targets.append({**row, "therapy_name": therapies[row["therapy_name"]]["name"], "moa": moa(row)})
        if row["gene_symbol"] in genes:
            data.targets.append({**row, "gene_symbol": genes[row["gene_symbol"]]["symbol"], "moa": moa(row)})
    for row in list(data.variant_of):
        if row["variant_name"] in variants:
            data.variant_of.append({**row, "variant_name": variants[row["variant_name"]]["name"]})
        if row["gene_symbol"] in genes:
            data.variant_of.append({**row, "gene_symbol": genes[row["gene_symbol"]]["symbol"]})
    for row in list(data.affects_response):
        if row["therapy_name"] in therapies:
            evidence.add({**copied(row), "therapy_name": therapies[row["therapy_name"]]["name"]})
        if row["biomarker_type"] == "variant" and row["biomarker_name"] in variants:
            evidence.add({**copied(row), "biomarker_name": variants[row["biomarker_name"]]["name"]})
    data.genes += genes.values()
    data.therapies += therapies.values()
    data.variants += variants.values()


def bare_twins(data: GraphData, rng: random.Random) -> None:
    """Two twins per node, one with no synonyms, one with a synonym of its own (so `any(s IN
    synonyms WHERE s <> name)` finds it); genes without evidence of their own (no `Biomarker`);
    copied TARGETS name another mechanism, copied evidence has new pmids, half the other effect."""
    names, share, changer = _Names(data), rng.choice((0.8, 1.0)), _Changer(data, rng)
    for tag, synonyms in (("tw", lambda key: []), ("al", lambda key: [f"{key} alias"])):
        genes = _twin_nodes(data.genes, "symbol", names, rng, share, tag, synonyms)
        therapies = _twin_nodes(data.therapies, "name", names, rng, share, tag, synonyms)
        variants = _twin_nodes(data.variants, "name", names, rng, share, tag, synonyms)
        _copy_links(data, genes, therapies, variants, changer)


def synonym_twins(data: GraphData, rng: random.Random) -> None:
    """Twins answering to the original's name; each variant has a second one of another consequence."""
    names, share = _Names(data), rng.choice((0.8, 1.0))
    genes = _twin_nodes(data.genes, "symbol", names, rng, share, "syn", lambda name: [name])
    therapies = _twin_nodes(data.therapies, "name", names, rng, share, "syn", lambda name: [name])
    variants = _twin_nodes(data.variants, "name", names, rng, share, "syn", lambda name: [name])
    _copy_links(data, genes, therapies, variants, None)
    for original in list(data.variants):
        if original["name"] in variants:
            other = [c for c in CONSEQUENCES if c != original.get("consequence")]
            data.variants.append(
                {
                    **original,
                    "name": names.fresh(original["name"], "syn2"),
                    "synonyms": [original["name"]],
                    "consequence": rng.choice(other),
                    "hgvs_p": f"{original.get('hgvs_p') or 'p.?'}*",
                }
            )


def _gene_of(data: GraphData) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in data.variant_of:
        out.setdefault(row["variant_name"], row["gene_symbol"])
    return out


def parallel_facts(data: GraphData, rng: random.Random) -> None:
    """Beside a share of the relationships, others that differ in one respect."""
    share = rng.choice((0.4, 0.7))
    changer, evidence, gene_of = _Changer(data, rng), _Evidence(data), _gene_of(data)
    targets = {(r["therapy_name"], r["gene_symbol"]) for r in data.targets}
    for row in list(data.affects_response):
        for wanted in CHANGES:
            if rng.random() < share:
                evidence.add(changer.changed(row, wanted))
        if rng.random() < share:
            evidence.add(changer.fresh_pmids(row))
        gene = row["biomarker_name"] if row["biomarker_type"] == "gene" else gene_of.get(row["biomarker_name"])
        if gene and (row["therapy_name"], gene) not in targets and rng.random() < share:
            targets.add((row["therapy_name"], gene))
            data.targets.append({"therapy_name": row["therapy_name"], "gene_symbol": gene, "source": SOURCE})
    for row in list(data.targets):
        if rng.random() < share:
            moa = row.get("moa") if rng.random() < 0.5 else f"{row.get('moa') or 'unknown'} (parallel)"
            data.targets.append({**row, "moa": moa, "ref_ids": [SOURCE], "source": SOURCE})
    data.variant_of += [dict(row) for row in data.variant_of if rng.random() < share / 2]


def _new_gene(data: GraphData, names: _Names, base: str, tag: str, synonyms=(), drug: bool = False) -> str:
    """A new gene; with `drug`, also a new therapy that targets it (so therapies found through the
    gene, like the alternatives to a therapy a gene resists, change too)."""
    symbol = names.fresh(base, tag)
    data.genes.append({"symbol": symbol, "synonyms": list(synonyms)})
    if drug:
        therapy = names.fresh(symbol, "drug")
        data.therapies.append({"name": therapy, "synonyms": []})
        data.targets.append({"therapy_name": therapy, "gene_symbol": symbol, "source": SOURCE})
    return symbol


def _new_variant(data: GraphData, names: _Names, original: str, tag: str, gene: str | None) -> str:
    name = names.fresh(original, tag)
    data.variants.append({"name": name, "consequence": "missense_variant", "synonyms": []})
    if gene:
        data.variant_of.append({"variant_name": name, "gene_symbol": gene})
    return name


def biomarker_twins(data: GraphData, rng: random.Random) -> None:
    """For each (biomarker, therapy) evidence pair, the same evidence from a new gene-level biomarker
    and from a variant of a new gene without evidence; for each variant, from a variant of no gene."""
    names, share = _Names(data), rng.choice((0.8, 1.0))
    evidence = _Evidence(data)
    made: dict[tuple, tuple[str, str]] = {}
    orphans: dict[str, str] = {}
    for row in list(data.affects_response):
        if rng.random() >= share:
            continue
        name, pair = row["biomarker_name"], (row["biomarker_name"], row["therapy_name"])
        if pair not in made:
            gene = _new_gene(data, names, name, "bm", drug=True)
            made[pair] = gene, _new_variant(data, names, name, "bv", _new_gene(data, names, name, "vg", drug=True))
        gene, variant = made[pair]
        evidence.add({**row, "biomarker_type": "gene", "biomarker_name": gene})
        evidence.add({**row, "biomarker_type": "variant", "biomarker_name": variant})
        if row["biomarker_type"] == "variant":
            if name not in orphans:
                orphans[name] = _new_variant(data, names, name, "bo", None)
            evidence.add({**row, "biomarker_name": orphans[name]})


def changed_twins(data: GraphData, rng: random.Random) -> None:
    """For each biomarker, a new gene (with a new therapy targeting it) whose evidence is the
    original's with each row changed in one respect, every way once; and a twin of the original
    kind and gene, without synonyms, with the original's evidence plus rows of the other effect
    and rows for another therapy."""
    names, share = _Names(data), rng.choice((0.8, 1.0))
    changer, evidence, gene_of = _Changer(data, rng), _Evidence(data), _gene_of(data)
    changed_gene: dict[str, str] = {}
    twin: dict[str, str] = {}
    for row in list(data.affects_response):
        if rng.random() >= share:
            continue
        name, kind = row["biomarker_name"], row["biomarker_type"]
        if name not in changed_gene:
            changed_gene[name] = _new_gene(data, names, name, "cg", drug=True)
            twin[name] = (
                _new_gene(data, names, name, "cx")
                if kind == "gene"
                else _new_variant(data, names, name, "cx", gene_of.get(name))
            )
        for wanted in ("effect", "disease", "near", "therapy"):
            evidence.add(
                {**changer.changed(row, wanted), "biomarker_type": "gene", "biomarker_name": changed_gene[name]}
            )
        for copy in (row, changer.changed(row, "effect"), changer.changed(row, "therapy")):
            evidence.add({**copy, "biomarker_name": twin[name]})


def homonyms(data: GraphData, rng: random.Random) -> None:
    """Genes named like a variant (its name their synonym) with that variant's evidence (new
    pmids) and changed copies of it."""
    names, share = _Names(data), rng.choice((0.8, 1.0))
    changer, evidence = _Changer(data, rng), _Evidence(data)
    made: dict[str, str] = {}
    for row in list(data.affects_response):
        if row["biomarker_type"] != "variant" or rng.random() >= share:
            continue
        name = row["biomarker_name"]
        if name not in made:
            made[name] = _new_gene(data, names, name.split()[0], "hom", [name])
        for copy in (changer.fresh_pmids(row), changer.changed(row, rng.choice(("effect", "therapy")))):
            evidence.add({**copy, "biomarker_type": "gene", "biomarker_name": made[name]})


def moved(data: GraphData, rng: random.Random) -> None:
    """Evidence changed in place: a share gets the other effect, a share another disease or a near name."""
    share = rng.choice((0.4, 0.6))
    changer = _Changer(data, rng)
    seen = {evidence_key(r) for r in data.affects_response}
    for index, row in enumerate(data.affects_response):
        wanted = "+".join(
            change
            for change, drawn in (("effect", rng.random()), (rng.choice(("disease", "near")), rng.random()))
            if drawn < share
        )
        if not wanted:
            continue
        changed = {**changer.changed(row, wanted), "pmids": row.get("pmids", [])}
        key = evidence_key(changed)
        if key not in seen:
            seen.add(key)
            changed.pop("disease_id", None)
            data.affects_response[index] = changed


def stripped(data: GraphData, rng: random.Random) -> None:
    """Gene-level evidence removed: no gene is a `Biomarker` any more (this family draws nothing from `rng`)."""
    data.affects_response = [r for r in data.affects_response if r["biomarker_type"] != "gene"]


def _mix(*families):
    def run(data: GraphData, rng: random.Random) -> None:
        for family in families:
            family(data, rng)

    run.__doc__ = "Several families applied in turn: " + ", ".join(f.__name__ for f in families)
    return run


FAMILIES = {
    "bare_twins": bare_twins,
    "synonym_twins": synonym_twins,
    "parallel_facts": parallel_facts,
    "biomarker_twins": biomarker_twins,
    "changed_twins": changed_twins,
    "homonyms": homonyms,
    "moved": moved,
    "stripped": stripped,
    # kills that need two changes at once (a therapy twin of T and V's evidence for T of both effects)
    "mix_facts_names": _mix(parallel_facts, bare_twins),
    "mix_structure": _mix(stripped, biomarker_twins, homonyms),
    "mix_evidence": _mix(moved, changed_twins, synonym_twins),
}
