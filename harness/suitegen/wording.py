"""Question wording: paraphrases and synonym variants of one base question (one group).

Every variant keeps the base item's gold Cypher, which names entities canonically; only
the question changes. A synonym is used only when it names exactly one entity of its
kind, differs from the canonical name, and does not occur anywhere in the gold Cypher, so
a model can only get it right by mapping the synonym to the canonical name.

Held-out wordings: the last `heldout` wordings of each template (never the base wording,
always leaving at least one paraphrase for training) are reserved for the test split.
Training groups are worded only with the other wordings; in a test group every
paraphrase (as far as there are held-out wordings) and every synonym variant uses a
held-out wording, while the base question keeps the shared base wording. So most test
questions are phrased in ways no training question is, and a model has to understand
the question rather than recognise its template. Each item records its wording's index
in the template's list as `wording_id`.
"""

from __future__ import annotations

import random
from collections import defaultdict

from .model import SuiteItem
from .snapshot import Snapshot
from .templates import SYNONYM_KINDS, Template


class SynonymIndex:
    """Synonyms that name exactly one entity of any kind (so 'PTC' naming both a gene and a
    disease is never used)."""

    def __init__(self, snap: Snapshot):
        tables = {
            "gene": snap.genes,
            "therapy": snap.therapies,
            "disease": snap.diseases,
            "variant": {name: props["synonyms"] for name, props in snap.variants.items()},
        }
        self._tables = tables
        self._owners: dict[str, set[tuple[str, str]]] = defaultdict(set)  # word -> {(kind, name)}, all kinds
        for kind, table in tables.items():
            for name, synonyms in table.items():
                for word in (name, *synonyms):
                    self._owners[word.lower()].add((kind, name.lower()))

    def usable(self, kind: str, name: str, cypher: str) -> list[str]:
        table = self._tables.get(kind, {})
        synonyms = table.get(name)
        if synonyms is None:
            synonyms = {k.lower(): v for k, v in table.items()}.get(name.lower(), ())
        lowered = cypher.lower()
        return sorted(
            s
            for s in synonyms
            if len(s) >= 2
            and s.lower() != name.lower()
            and s.lower() not in lowered
            and _balanced(s)
            and self._owners[s.lower()] == {(kind, name.lower())}
        )


def _balanced(text: str) -> bool:
    """False for fragments such as 't(15' (a list separator inside a name split it in the CSV)."""
    depth = 0
    for char in text:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def normalize_question(question: str) -> str:
    """The form used to find duplicate questions: case, spacing and final punctuation ignored."""
    return " ".join(question.casefold().split()).rstrip(" ?.!")


def heldout_wordings(template: Template, count: int) -> tuple[int, ...]:
    """Indices of the wordings reserved for the test split: the last `count`, but never the base
    wording (0) and never so many that training keeps no paraphrase wording."""
    count = max(0, min(count, len(template.wordings) - 2))
    return tuple(range(len(template.wordings) - count, len(template.wordings)))


def base_item(template: Template, placeholders: dict, cypher: str, base_id: str) -> SuiteItem:
    """The group's base question (wording 0, canonical names)."""
    return SuiteItem(
        id=base_id,
        family_id=template.family,
        template_id=template.id,
        question=template.question(0, placeholders),
        cypher=cypher,
        placeholders=dict(placeholders),
        source="base",
        paraphrase_of=None,
        group_id=base_id,
        extra={"wording_id": 0},
    )


def group_items(
    template: Template,
    placeholders: dict,
    cypher: str,
    base_id: str,
    rng: random.Random,
    synonyms: SynonymIndex,
    *,
    paraphrases: int = 2,
    synonym_variants: int = 2,
    split: str = "train",
    heldout: tuple[int, ...] = (),
) -> list[SuiteItem]:
    """The base question, `paraphrases` rewordings and up to `synonym_variants` synonym variants,
    worded for `split`: held-out wordings only in test (see the module docstring)."""

    def item(suffix: str, source: str, wording: int, values: dict, extra: dict | None = None) -> SuiteItem:
        return SuiteItem(
            id=base_id + suffix,
            family_id=template.family,
            template_id=template.id,
            question=template.question(wording, values),
            cypher=cypher,
            placeholders=dict(placeholders),
            source=source,
            paraphrase_of=base_id if suffix else None,
            group_id=base_id,
            extra={**(extra or {}), "wording_id": wording},
        )

    shared = [w for w in range(1, len(template.wordings)) if w not in heldout]
    if split == "test" and heldout:
        chosen = sorted(rng.sample(heldout, min(paraphrases, len(heldout))))
        chosen += sorted(rng.sample(shared, min(paraphrases - len(chosen), len(shared))))
        synonym_wordings = list(heldout)
    else:
        chosen = sorted(rng.sample(shared, min(paraphrases, len(shared))))
        synonym_wordings = [0, *shared]
    items = [base_item(template, placeholders, cypher, base_id)]
    items += [item(f"-P{n}", "paraphrase", wording, placeholders) for n, wording in enumerate(chosen, 1)]

    options = []
    for slot, kind in template.slots:
        if kind in SYNONYM_KINDS:
            usable = synonyms.usable(kind, placeholders[slot], cypher)
            if usable:
                options.append((slot, usable))
    for n, (slot, usable) in enumerate(rng.sample(options, min(synonym_variants, len(options))), 1):
        synonym = rng.choice(usable)
        wording = rng.choice(synonym_wordings)
        items.append(item(f"-S{n}", "synonym", wording, {**placeholders, slot: synonym}, {"synonyms": {slot: synonym}}))
    return items
