"""`retrieval`: an offline, CPU-only classical baseline (no model, no key, no GPU).

For a test question it finds the nearest TRAIN-split question of the suite by token
overlap, after replacing every entity mention (gene, variant, therapy, disease; names
and synonyms read once from the graph) with its label, so "therapies targeting EGFR"
and "therapies targeting KRAS" look the same. It answers with that train item's gold
Cypher, the train question's entities replaced by the test question's (as canonical
names, since Cypher uses canonical names while questions use synonyms). Deterministic:
ties go to the smallest train item id.
"""

from __future__ import annotations

import heapq
import re
import threading
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from ..cypher.build import disease_tokens, lit
from ..errors import ModelUnavailable
from .base import Adapter, AdapterOptions, Generation

LABELS = ("Variant", "Gene", "Therapy", "Disease")  # preference when one alias names several things

NAMES_QUERY = """
MATCH (n:Gene) RETURN 'Gene' AS label, n.symbol AS name, coalesce(n.synonyms, []) AS synonyms
UNION ALL MATCH (n:Variant) RETURN 'Variant' AS label, n.name AS name, coalesce(n.synonyms, []) AS synonyms
UNION ALL MATCH (n:Therapy) RETURN 'Therapy' AS label, n.name AS name, coalesce(n.synonyms, []) AS synonyms
UNION ALL MATCH (n:Disease) RETURN 'Disease' AS label, n.name AS name, coalesce(n.synonyms, []) AS synonyms
"""

_WORD = re.compile(r"<[a-z]+>|[a-z0-9]+")
_LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
STOPWORDS = frozenset(
    "a an the of in on for to and or by with is are be what which who that this those these do does me list "
    "show give find all any".split()
)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    label: str
    name: str  # canonical


class EntityIndex:
    """Every name and synonym in the graph, mapped to (label, canonical name)."""

    def __init__(self, rows):
        self.aliases: dict[str, tuple[str, str]] = {}  # lower-cased alias -> (label, canonical)
        spelled: dict[str, str] = {}  # lower-cased alias -> as written in the graph
        for label, name, synonyms in sorted(rows, key=lambda r: (LABELS.index(r[0]), str(r[1]))):
            if not name:
                continue
            for alias in [name, *(synonyms or [])]:
                alias = str(alias).strip()
                if len(alias) >= 2:
                    self.aliases.setdefault(alias.lower(), (label, str(name)))  # first by LABELS order wins
                    spelled.setdefault(alias.lower(), alias)
        exact = [spelled[a] for a in self.aliases if self._case_sensitive(spelled[a])]
        loose = [a for a in self.aliases if not self._case_sensitive(spelled[a])]
        self._exact = self._pattern(exact, 0) if exact else None
        self._loose = self._pattern(loose, re.IGNORECASE) if loose else None

    @classmethod
    def from_driver(cls, driver) -> EntityIndex:
        import neo4j

        records, _, _ = driver.execute_query(NAMES_QUERY, routing_=neo4j.RoutingControl.READ)
        return cls([(r["label"], r["name"], r["synonyms"]) for r in records])

    @staticmethod
    def _case_sensitive(alias: str) -> bool:
        """Short all-caps aliases (MET, RET, ALL, CRC) only match in capitals, not as English words."""
        return len(alias) <= 5 and alias.upper() == alias and any(c.isalpha() for c in alias)

    @staticmethod
    def _pattern(aliases, flags):
        ordered = sorted(aliases, key=lambda a: (-len(a), a))
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in ordered) + r")(?!\w)", flags)

    def find(self, text: str) -> list[Mention]:
        """Non-overlapping mentions, longest first, in order of appearance."""
        found = []
        for pattern in (self._exact, self._loose):
            if pattern is not None:
                found += [(m.start(), m.end()) for m in pattern.finditer(text)]
        chosen: list[Mention] = []
        for start, end in sorted(found, key=lambda span: (-(span[1] - span[0]), span[0])):
            if any(start < m.end and m.start < end for m in chosen):
                continue
            label, name = self.aliases[text[start:end].lower()]
            chosen.append(Mention(start, end, label, name))
        return sorted(chosen, key=lambda m: m.start)


def skeleton(question: str, mentions: list[Mention]) -> list[str]:
    """The question's words with each entity replaced by its label."""
    parts, last = [], 0
    for m in mentions:
        parts += [question[last : m.start], f" <{m.label.lower()}> "]
        last = m.end
    parts.append(question[last:])
    return [w for w in _WORD.findall("".join(parts).lower()) if w not in STOPWORDS]


def entities(mentions: list[Mention]) -> list[tuple[str, str]]:
    """(label, canonical) in order of first appearance, without repeats."""
    seen: list[tuple[str, str]] = []
    for m in mentions:
        if (m.label, m.name) not in seen:
            seen.append((m.label, m.name))
    return seen


def similarity(a: list[str], b: list[str]) -> tuple[float, float]:
    """Jaccard overlap of words, then of word pairs (the tie-breaker)."""

    def jaccard(x, y):
        return len(x & y) / len(x | y) if x or y else 1.0

    return jaccard(set(a), set(b)), jaccard(set(zip(a, a[1:])), set(zip(b, b[1:])))


_LIT = r"'(?:[^'\\]|\\.)*'"
_DISEASE_GROUP = re.compile(
    r"\(toLower\((\w+)\.disease_name\) CONTAINS "
    + _LIT
    + r"(?: AND toLower\(\1\.disease_name\) CONTAINS "
    + _LIT
    + r")*\)"
)
_PIECE = re.compile(_DISEASE_GROUP.pattern + "|" + _LITERAL.pattern)


def substitute(cypher: str, mapping: dict[str, str], diseases: dict[str, str] | None = None) -> str:
    """Replace entity names in string literals (keeping each literal's letter case) and rewrite
    token-based disease filters, in one pass so a replacement is never replaced again."""
    lowered = {k.lower(): v for k, v in mapping.items()}
    by_tokens = {tuple(disease_tokens(old)): new for old, new in (diseases or {}).items()}
    name = (
        re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(k) for k in sorted(lowered, key=lambda k: (-len(k), k))) + r")(?!\w)",
            re.IGNORECASE,
        )
        if lowered
        else None
    )

    def replace_name(match):
        found, new = match.group(0), lowered[match.group(0).lower()]
        if found == found.lower() and found != found.upper():
            return new.lower()
        if found == found.upper() and found != found.lower():
            return new.upper()
        return new

    def replace(match):
        text = match.group(0)
        if text.startswith("("):
            tokens = tuple(t[1:-1] for t in re.findall(_LIT, text))
            new = by_tokens.get(tokens)
            if new is None:
                return text
            var = match.group(1)
            return (
                "(" + " AND ".join(f"toLower({var}.disease_name) CONTAINS {lit(t)}" for t in disease_tokens(new)) + ")"
            )
        if name is None:
            return text
        return text[0] + name.sub(replace_name, text[1:-1]) + text[-1]

    return _PIECE.sub(replace, cypher)


class TrainIndex:
    """The suite's train-split questions, entity-masked once, ranked by similarity to a new question.

    Used by the retrieval baseline (its nearest neighbour) and by few-shot prompting (the k nearest).
    Only the named split is ever read, so a test item can never come back as a neighbour.
    """

    def __init__(self, suite, driver, split: str = "train"):
        self.index = EntityIndex.from_driver(driver)
        self.split = split
        self.entries = []
        for item in sorted(suite.items(split=split), key=lambda i: i.id):
            mentions = self.index.find(item.question)
            self.entries.append((item, skeleton(item.question, mentions), entities(mentions)))
        if not self.entries:
            raise ModelUnavailable(
                f"suite {suite.name!r} has no {split!r} items to retrieve from: generate it with a train split"
            )

    def ranked(self, question: str, k: int, exclude: frozenset[str] = frozenset()):
        """The k best (item, its entities, key) for question, best first; ties go to the smallest item id."""
        mentions = self.index.find(question)
        words, labels = skeleton(question, mentions), sorted(label for label, _ in entities(mentions))

        def key(entry):
            _, train_words, train_ents = entry
            return (sorted(label for label, _ in train_ents) == labels, *similarity(words, train_words))

        scored = ((key(entry), entry) for entry in self.entries if entry[0].id not in exclude)
        best = heapq.nsmallest(k, scored, key=lambda pair: tuple(-x for x in pair[0]))  # stable: id order
        return [(item, ents, found) for found, (item, _, ents) in best]


def context_suite_and_driver(context, what: str):
    suite, driver = context.suite, context.driver
    if suite is None:
        raise ModelUnavailable(f"{what} needs a suite with a train split (run it through `harness run`)")
    if driver is None:
        raise ModelUnavailable(f"{what} needs the loaded graph for entity names (run it through `harness run`)")
    return suite, driver


class RetrievalOptions(AdapterOptions):
    split: Literal["train"] = Field("train", description="Where neighbours come from: only ever the train split.")


class RetrievalAdapter(Adapter):
    name = "retrieval"
    Options = RetrievalOptions
    needs = "the suite's train split and the loaded graph (both provided by `harness run`)"
    max_concurrency = 64

    def __init__(self, spec, context=None):
        super().__init__(spec, context)
        self._lock = threading.Lock()
        self.train = None
        self.index = None

    def check(self):
        self._prepare()

    def _prepare(self):
        with self._lock:
            if self.train is None:
                suite, driver = context_suite_and_driver(self.context, "the retrieval model")
                self.train = TrainIndex(suite, driver, self.options["split"])
                self.index = self.train.index

    def describe(self):
        self._prepare()
        return {"train_items": len(self.train.entries), "aliases": len(self.index.aliases)}

    def nearest(self, question: str):
        (item, train_ents, key) = self.train.ranked(question, 1)[0]
        return (item, train_ents), entities(self.index.find(question)), key

    def generate(self, item):
        started = time.perf_counter()
        self._prepare()
        (train_item, train_ents), test_ents, key = self.nearest(item.question)
        mapping = {}
        for label in LABELS:
            olds = [name for lab, name in train_ents if lab == label]
            news = [name for lab, name in test_ents if lab == label]
            mapping.update({old: new for old, new in zip(olds, news) if old != new})
        diseases = {
            old: new
            for old, new in mapping.items()
            if (old.lower() in self.index.aliases and self.index.aliases[old.lower()][0] == "Disease")
        }
        output = substitute(train_item.cypher, mapping, diseases)
        return Generation(
            output=output,
            gen_ms=(time.perf_counter() - started) * 1000,
            finish_reason="stop",
            meta={"neighbour": train_item.id, "overlap": round(key[1], 4), "substituted": mapping},
        )
