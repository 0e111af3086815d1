"""Perturbed copies of a graph, made from a seed, in the same CSV layout as the graph.

A wrong query can return the gold's rows on one graph by coincidence (two genes that share
their therapies, a disease filter that only one disease's evidence passes). On a copy with
some relationships dropped, duplicated, moved or added, with distractor nodes and changed
property values, the coincidence usually breaks while the gold, re-run there, still asks
the same question. Variant `i` of seed `s` is a pure function of (base graph, s, i).
"""

from __future__ import annotations

import copy
import csv
import random
from pathlib import Path

from .._util.files import atomic_write
from ..graph.csv_source import LAYOUT, LIST_SEPARATOR, GraphData
from .aimed import FAMILIES, evidence_key
from .guards import GUARD_BASE, GUARDS

FILES = {
    "nodes/genes.csv": "genes",
    "nodes/variants.csv": "variants",
    "nodes/therapies.csv": "therapies",
    "nodes/diseases.csv": "diseases",
    "relationships/variant_of.csv": "variant_of",
    "relationships/targets.csv": "targets",
    "relationships/affects_response.csv": "affects_response",
}
EFFECT_FLIP = {"resistance": "sensitivity", "sensitivity": "resistance"}
VARIANT_SOURCE = "test-suite variant"
FAMILY_ORDER = ("random", *FAMILIES)


def _drop(rows: list[dict], rng: random.Random, share: float) -> list[dict]:
    return [row for row in rows if rng.random() >= share]


def _distractors(data: GraphData, rng: random.Random, count: int) -> None:
    """Near-duplicate genes and therapies (a suffixed name, the original's name as a synonym
    only for some), wired to some of the original's partners."""
    targeted_by: dict[str, list[dict]] = {}
    for row in data.targets:
        targeted_by.setdefault(row["gene_symbol"], []).append(row)
    for gene in rng.sample(data.genes, min(count, len(data.genes))):
        symbol = f"{gene['symbol']}L{rng.randint(1, 9)}"
        if any(g["symbol"] == symbol for g in data.genes):
            continue
        synonyms = [gene["symbol"].lower() + "-like"] + ([gene["symbol"]] if rng.random() < 0.3 else [])
        data.genes.append({"symbol": symbol, "synonyms": synonyms})
        for row in targeted_by.get(gene["symbol"], [])[:2]:
            data.targets.append({**row, "gene_symbol": symbol, "source": VARIANT_SOURCE})
    therapies_of_gene = {row["therapy_name"] for row in data.targets}
    for therapy in rng.sample(data.therapies, min(count, len(data.therapies))):
        name = f"{therapy['name']} analog"
        if any(t["name"] == name for t in data.therapies):
            continue
        data.therapies.append(
            {"name": name, "modality": therapy.get("modality"), "tags": list(therapy.get("tags", [])), "synonyms": []}
        )
        if therapy["name"] in therapies_of_gene:
            gene = next(row["gene_symbol"] for row in data.targets if row["therapy_name"] == therapy["name"])
            data.targets.append(
                {
                    "therapy_name": name,
                    "gene_symbol": gene,
                    "source": VARIANT_SOURCE,
                    "ref_sources": [],
                    "ref_ids": [],
                    "ref_urls": [],
                }
            )
    data.genes = [{k: v for k, v in g.items() if v is not None} for g in data.genes]
    data.therapies = [{k: v for k, v in t.items() if v is not None} for t in data.therapies]


def _random_links(data: GraphData, rng: random.Random, targets: int, evidence: int) -> None:
    genes = [g["symbol"] for g in data.genes]
    therapies = [t["name"] for t in data.therapies]
    variants = [v["name"] for v in data.variants]
    diseases = sorted({r["disease_name"] for r in data.affects_response if r.get("disease_name")})
    effects = sorted({r["effect"] for r in data.affects_response if r.get("effect")})
    for _ in range(targets):
        data.targets.append(
            {
                "therapy_name": rng.choice(therapies),
                "gene_symbol": rng.choice(genes),
                "source": VARIANT_SOURCE,
                "moa": "variant link",
                "ref_sources": [],
                "ref_ids": [],
                "ref_urls": [],
            }
        )
    seen = {evidence_key(r) for r in data.affects_response}
    for _ in range(evidence):
        kind = rng.choice(("gene", "variant"))
        row = {
            "biomarker_type": kind,
            "biomarker_name": rng.choice(genes if kind == "gene" else variants),
            "therapy_name": rng.choice(therapies),
            "effect": rng.choice(effects),
            "disease_name": rng.choice(diseases),
            "pmids": [],
            "source": VARIANT_SOURCE,
        }
        if evidence_key(row) not in seen:
            seen.add(evidence_key(row))
            data.affects_response.append(row)


def _duplicates(data: GraphData, rng: random.Random, share: float) -> None:
    data.targets += [dict(row) for row in data.targets if rng.random() < share]
    seen = {evidence_key(r) for r in data.affects_response}
    for row in list(data.affects_response):
        if rng.random() < share:
            copy_row = {**row, "source": f"{row.get('source') or ''} (duplicate)".strip()}
            if evidence_key(copy_row) not in seen:
                seen.add(evidence_key(copy_row))
                data.affects_response.append(copy_row)


def _changed_values(data: GraphData, rng: random.Random, share: float) -> None:
    diseases = sorted({r["disease_name"] for r in data.affects_response if r.get("disease_name")})
    seen = {evidence_key(r) for r in data.affects_response}
    for row in data.affects_response:
        old = evidence_key(row)
        changed = dict(row)
        if rng.random() < share and row.get("effect") in EFFECT_FLIP:
            changed["effect"] = EFFECT_FLIP[row["effect"]]
        if rng.random() < share:
            changed["disease_name"] = rng.choice(diseases)  # evidence moved to another disease
            changed.pop("disease_id", None)
        if evidence_key(changed) != old and evidence_key(changed) not in seen:
            seen.discard(old)
            seen.add(evidence_key(changed))
            row.clear()
            row.update(changed)
    for row in data.variants:
        if rng.random() < share and row.get("consequence"):
            row["consequence"] = rng.choice(
                ("missense_variant", "inframe_deletion", "frameshift_variant", "stop_gained")
            )
    for row in data.targets:
        if rng.random() < share and row.get("moa"):
            row["moa"] = row["moa"] + " (variant)"


def family_of(index: int) -> str:
    """Candidates cycle through the families: random perturbation first, then the aimed ones;
    indices from GUARD_BASE on are the filter guards (guards.py), outside that cycle."""
    if index >= GUARD_BASE:
        return tuple(GUARDS)[(index - GUARD_BASE) % len(GUARDS)]
    return FAMILY_ORDER[index % len(FAMILY_ORDER)]


def make_variant(base: GraphData, seed: int, index: int) -> GraphData:
    """Variant `index` of `seed`: its family from the index, its strengths and choices from
    Random(f"{seed}:{index}")."""
    rng = random.Random(f"{seed}:{index}")
    data = copy.deepcopy(base)
    family = family_of(index)
    data.source = f"variant {seed}:{index} ({family}) of {base.source}"
    if family == "random":
        _random_perturbation(data, rng)
    elif family in GUARDS:
        GUARDS[family](data, rng)
    else:
        FAMILIES[family](data, rng)
    return data


def _random_perturbation(data: GraphData, rng: random.Random) -> None:
    """Drops, duplicates, moved evidence, changed values, distractors and random links, all over the graph."""
    drop = rng.choice((0.05, 0.1, 0.2))
    data.targets = _drop(data.targets, rng, drop)
    data.affects_response = _drop(data.affects_response, rng, drop)
    data.variant_of = _drop(data.variant_of, rng, drop / 2)
    _duplicates(data, rng, rng.choice((0.05, 0.15)))
    _changed_values(data, rng, rng.choice((0.05, 0.1, 0.2)))
    _distractors(data, rng, rng.choice((3, 6, 10)))
    _random_links(data, rng, targets=rng.choice((10, 30, 60)), evidence=rng.choice((20, 60, 120)))


def _cell(value) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return "" if value is None else str(value)


def write_graph_folder(data: GraphData, folder: Path) -> Path:
    """Write `data` in the CSV layout `graph load --source` reads (each file atomically)."""
    import io

    for name, attribute in FILES.items():
        required, _, optional = LAYOUT[name]
        columns = [*required, *optional]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in getattr(data, attribute):
            writer.writerow({c: _cell(row.get(c)) for c in columns})
        atomic_write(folder / name, buffer.getvalue())
    return folder
