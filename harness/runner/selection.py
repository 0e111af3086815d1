"""Which items of a split a run evaluates: all, the first N, a seeded family-stratified sample, or a file of ids.

Sampling is stratified by top-level family (F1..F6) with equal shares, so a small sample still
covers every family and per-family rates stay comparable; within a family the draw is seeded
(`random.Random(seed)` over the ids in sorted order), so the same N and seed always pick the
same items. An ids file is a text file of one id per line (blank lines and `#` comments
skipped) or JSONL with an "id" field, so a replay file that covers part of a suite names its
own items. The order of application is: ids file, then sample, then limit, then `--shard` (runner/shards.py).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .shards import Shard, in_shard


@dataclass(frozen=True)
class Selection:
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    items_file: str | None = None
    item_ids: frozenset[str] | None = None  # library callers (rescore): exactly these
    shard: Shard | None = None  # --shard I/N: this part of the items only

    def recorded(self) -> dict:
        """What the run's options record (only what is set, so plain runs keep their resume key)."""
        out: dict = {"limit": self.limit}
        if self.sample is not None:
            out.update(sample=self.sample, seed=self.seed)
        if self.items_file is not None:
            ids = sorted(read_ids_file(self.items_file))
            out["items"] = {"file": self.items_file, "count": len(ids), "sha256": _ids_hash(ids)}
        if self.item_ids is not None:
            out["item_ids_sha256"] = _ids_hash(sorted(self.item_ids))
        if self.shard is not None:
            out["shard"] = str(self.shard)
        return out


def _ids_hash(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def read_ids_file(path: str | Path) -> list[str]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: ids file not found") from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise InputError(f"{path}: not a text file of item ids") from None
    ids: list[str] = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("{"):
            try:
                text = str(json.loads(text)["id"])
            except (json.JSONDecodeError, KeyError, TypeError):
                raise InputError(f'{path} line {number}: expected an item id or a JSON object with "id"') from None
        if text not in ids:
            ids.append(text)
    if not ids:
        raise InputError(f"{path}: no item ids in it")
    return ids


def stratified_sample(items: list, n: int, seed: int) -> list:
    """n items with equal shares per family (a family with too few gives its rest to the others)."""
    by_family: dict[str, list] = defaultdict(list)
    for item in sorted(items, key=lambda i: i.id):
        by_family[item.family].append(item)
    rng = random.Random(seed)
    for members in by_family.values():
        rng.shuffle(members)
    chosen: list = []
    families = sorted(by_family)
    while len(chosen) < n and any(by_family.values()):
        for family in families:
            if by_family[family] and len(chosen) < n:
                chosen.append(by_family[family].pop())
    picked = {item.id for item in chosen}
    return [item for item in items if item.id in picked]  # suite order


def select(suite, split: str, selection: Selection, items: list | None = None) -> list:
    """The items the run evaluates, in suite order; `items`: the split's items, if the caller has read them."""
    items = list(suite.items(split)) if items is None else items
    if selection.items_file is not None or selection.item_ids is not None:
        wanted = set(read_ids_file(selection.items_file)) if selection.items_file is not None else set()
        if selection.item_ids is not None:
            wanted = (wanted & selection.item_ids) if selection.items_file is not None else set(selection.item_ids)
        unknown = sorted(wanted - {item.id for item in items})
        if unknown:
            where = selection.items_file or "the requested ids"
            raise InputError(
                f"{where}: {len(unknown)} id(s) not in the {split} split of suite {suite.name!r}, "
                f"e.g. {', '.join(unknown[:3])}"
            )
        items = [item for item in items if item.id in wanted]
    if selection.sample is not None:
        if selection.sample > len(items):
            raise InputError(f"--sample {selection.sample} is more than the {len(items)} {split} items to draw from")
        items = stratified_sample(items, selection.sample, selection.seed)
    if selection.limit is not None:
        items = items[: selection.limit]
    return in_shard(items, selection.shard)
