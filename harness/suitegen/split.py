"""Train/test assignment by group, so no question leaks into training through a paraphrase.

The unit of assignment is a cluster: items that share a `group_id`, or share the same
gold Cypher (two groups asking the same thing in different words are one question).
Clusters are shuffled per template with a seeded RNG and the first `test_fraction` go to
test, so every template is present in both splits. Optionally, a share of the entities
is held out: every cluster that mentions one goes to test and no training item mentions
any, for a harder test of generalisation to unseen genes, therapies and diseases.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict

from .model import SuiteItem


def _clusters(items: list[SuiteItem]) -> dict[str, list[SuiteItem]]:
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for item in items:
        a, b = find("g:" + item.group_id), find("c:" + " ".join(item.cypher.split()))
        if a != b:
            parent[max(a, b)] = min(a, b)
    clusters: dict[str, list[SuiteItem]] = defaultdict(list)
    for item in items:
        clusters[find("g:" + item.group_id)].append(item)
    return clusters


def entity_values(item: SuiteItem) -> set[str]:
    """Canonical entity names an item mentions (its string placeholders, lower-cased)."""
    return {str(v).lower() for k, v in item.placeholders.items() if isinstance(v, str) and k != "effect"}


def choose_holdout(items: list[SuiteItem], fraction: float, rng: random.Random) -> list[str]:
    names = sorted(set().union(*(entity_values(i) for i in items))) if items else []
    count = round(fraction * len(names))
    return sorted(rng.sample(names, count)) if count else []


def assign_splits(
    items: list[SuiteItem], rng: random.Random, *, test_fraction: float, holdout: list[str] | tuple[str, ...] = ()
) -> None:
    """Set `split` on every item in place; deterministic for a given RNG state and item list."""
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    held = set(holdout)
    by_template: dict[str, list[tuple[str, list[SuiteItem]]]] = defaultdict(list)
    for key, members in sorted(_clusters(items).items()):
        by_template[min(m.template_id for m in members)].append((key, members))
    for template in sorted(by_template):
        clusters = by_template[template]
        rng.shuffle(clusters)
        forced = [c for c in clusters if held and any(entity_values(m) & held for m in c[1])]
        free = [c for c in clusters if c not in forced]
        quota = max(0, math.ceil(test_fraction * len(clusters)) - len(forced))
        if len(clusters) > 1 and not free[quota:] and free:
            quota = len(free) - 1  # keep at least one training cluster per template where possible
        for index, (_, members) in enumerate(forced + free):
            split = "test" if index < len(forced) + quota else "train"
            for member in members:
                member.split = split
