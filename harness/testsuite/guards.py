"""Filter guards: variant families aimed at queries that ignore a filter the question names.

The aimed families (aimed.py) change a share of the graph at random and are chosen by how many
of the generator's own mutants they kill; a held-out set of near misses in other shapes
(shapes.py, scripts/heldout_near_misses.py) showed what they leave: a query that ignores the
disease or the effect of a clause used only to bind its variables (F6.4: "resistant to T in D,
which alternatives...": dropping D or the effect from the resistance clause changes nothing
while that evidence exists), and a query that ignores the therapy of an effect question when
the variant's other evidence in that disease has the same effect. Each guard changes every
such fact at once, so whichever one a gold names is changed:

- `resistance_relocated`: every resistance evidence moved to a disease sharing no word with its own;
- `resistance_flipped`: every resistance evidence given the other effect, in place;
- `other_therapy_effect`: beside every evidence, the same biomarker and disease with another
  therapy and the other effect.

Guards are variants 100, 101, 102 of a seed (variants.family_of); `suite distill` keeps every
guard under which all golds stay valid, beside the variants it chose.
"""

from __future__ import annotations

import random

from ..graph.csv_source import GraphData
from .aimed import EFFECT_FLIP, SOURCE, evidence_key

GUARD_BASE = 100


def _far_disease(name: str, diseases: list[str], rng: random.Random) -> str | None:
    words = set(name.lower().split())
    far = [d for d in diseases if not words & set(d.lower().split())]
    return rng.choice(far) if far else None


def _fresh(row: dict, rng: random.Random) -> dict:
    changed = {**row, "pmids": [str(90000000 + rng.randrange(1000000))], "source": SOURCE}
    changed.pop("disease_id", None)
    return changed


def _replace_in_place(data: GraphData, change) -> None:
    seen = {evidence_key(r) for r in data.affects_response}
    for index, row in enumerate(data.affects_response):
        changed = change(row)
        if changed is None:
            continue
        key = evidence_key(changed)
        if key not in seen:
            seen.add(key)
            data.affects_response[index] = changed


def resistance_relocated(data: GraphData, rng: random.Random) -> None:
    """Every resistance evidence moved to a disease that shares no word with its own."""
    diseases = sorted({r["disease_name"] for r in data.affects_response if r.get("disease_name")})

    def change(row: dict) -> dict | None:
        far = _far_disease(row.get("disease_name") or "", diseases, rng)
        return None if row.get("effect") != "resistance" or far is None else {**_fresh(row, rng), "disease_name": far}

    _replace_in_place(data, change)


def resistance_flipped(data: GraphData, rng: random.Random) -> None:
    """Every resistance evidence given the other effect, in place."""
    _replace_in_place(
        data,
        lambda row: (
            {**_fresh(row, rng), "effect": EFFECT_FLIP["resistance"]} if row.get("effect") == "resistance" else None
        ),
    )


def other_therapy_effect(data: GraphData, rng: random.Random) -> None:
    """Beside every evidence, the same biomarker and disease with another therapy and the other effect."""
    therapies = [t["name"] for t in data.therapies]
    seen = {evidence_key(r) for r in data.affects_response}
    for row in list(data.affects_response):
        if row.get("effect") not in EFFECT_FLIP:
            continue
        other = rng.choice([t for t in therapies if t != row["therapy_name"]])
        copy = {**_fresh(row, rng), "therapy_name": other, "effect": EFFECT_FLIP[row["effect"]]}
        if evidence_key(copy) not in seen:
            seen.add(evidence_key(copy))
            data.affects_response.append(copy)


GUARDS = {
    "resistance_relocated": resistance_relocated,
    "resistance_flipped": resistance_flipped,
    "other_therapy_effect": other_therapy_effect,
}
GUARD_INDICES = tuple(range(GUARD_BASE, GUARD_BASE + len(GUARDS)))
