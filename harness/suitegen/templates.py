"""What a question template is, the registry of all of them, and entity-choice helpers.

A template pairs wordings (the first is the base question, the rest paraphrases) with
one rule-based gold Cypher builder and a function that proposes placeholder values from
the graph snapshot, so that sampled golds are mostly non-empty. Templates whose answer
can legitimately be empty also propose `negatives`, used for a small labelled share of
deliberately empty golds. The templates themselves live in `templates_lookup` (F1-F3)
and `templates_evidence` (F2 evidence, F4-F6).

Order of wordings matters: the last ones are the held-out wordings, used only in test
questions (`Options.heldout_wordings`, default 2). The last wording of every template
was written for that purpose, in a sentence form its training wordings do not use
("For X, ...", "Tell me ...", "X is directed against which ...?"); add new training
wordings before the last two, not at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..cypher.build import disease_matches
from .snapshot import Snapshot

# Entity kinds whose synonyms can replace the canonical name in a question.
SYNONYM_KINDS = ("gene", "therapy", "disease", "variant")


@dataclass(frozen=True)
class Template:
    id: str  # e.g. f1_1_therapies_targeting_gene
    code: str  # short id prefix, e.g. F1.1
    family: str  # F1..F6
    slots: tuple[tuple[str, str], ...]  # (placeholder, entity kind)
    wordings: tuple[str, ...]
    build: Callable[[dict], str]
    candidates: Callable[[Snapshot], list[dict]]
    ordered: bool = False
    negatives: Callable[[Snapshot], list[dict]] | None = None

    def cypher(self, placeholders: dict) -> str:
        return self.build(placeholders)

    def question(self, wording: int, values: dict) -> str:
        return self.wordings[wording].format(**values)


def distinct(rows: list[dict]) -> list[dict]:
    """Sorted, duplicate-free placeholder dicts (the order sampling starts from)."""
    seen = {tuple(sorted(r.items())) for r in rows}
    return [dict(key) for key in sorted(seen)]


def unambiguous_names(snap: Snapshot, kind: str) -> set[str]:
    """Names no other entity of the kind claims as a synonym or substring, so that exact,
    synonym-aware and CONTAINS matching all pick the same entity."""
    table = {
        "gene": snap.genes,
        "therapy": snap.therapies,
        "variant": {name: props["synonyms"] for name, props in snap.variants.items()},
    }[kind]
    claimed: dict[str, int] = {}
    for name, synonyms in table.items():
        for word in {name.lower(), *(s.lower() for s in synonyms)}:
            claimed[word] = claimed.get(word, 0) + 1
    lowered = [n.lower() for n in table] if kind == "therapy" else []  # only therapies meet CONTAINS
    return {
        name
        for name in table
        if claimed.get(name.lower(), 0) == 1 and sum(name.lower() in other for other in lowered) <= 1
    }


def clean_diseases(snap: Snapshot) -> dict[str, str]:
    """Evidence disease names whose token filter selects exactly that disease: name -> canonical."""
    names = sorted({e.disease for e in snap.evidence if e.disease})
    canonical = {name.lower(): name for name in snap.diseases}
    out = {}
    for name in names:
        hits = {n.lower() for n in names if disease_matches(name, n)}
        if hits == {name.lower()}:
            out[name] = canonical.get(name.lower(), name)
    return out


def evidence_in_clean_diseases(snap: Snapshot):
    """Evidence rows in unambiguous diseases, with the disease in its canonical spelling."""
    clean = clean_diseases(snap)
    therapies = unambiguous_names(snap, "therapy")
    genes, variants = unambiguous_names(snap, "gene"), unambiguous_names(snap, "variant")
    for e in snap.evidence:
        if (
            e.disease in clean
            and e.therapy in therapies
            and (e.gene is None or e.gene in genes)
            and (e.kind != "variant" or e.biomarker in variants)
        ):
            yield e, clean[e.disease]
