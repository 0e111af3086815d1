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
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..inputs import check_id, parse_json, shown
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
        where = f"{path} line {number}"
        if text.startswith("{"):
            record = parse_json(text, where)
            if not isinstance(record, dict) or "id" not in record:
                raise InputError(f'{where}: expected an item id or a JSON object with "id"')
            text = record["id"]
        text = check_id(text, where)
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


@dataclass(frozen=True)
class _Key:
    """What sampling needs of an item: memory for 100,000 keys is a few MB, for 100,000 items hundreds."""

    id: str
    family: str


def _wanted(selection: Selection) -> set[str] | None:
    if selection.items_file is None and selection.item_ids is None:
        return None
    wanted = set(read_ids_file(selection.items_file)) if selection.items_file is not None else set()
    if selection.item_ids is not None:
        wanted = (wanted & selection.item_ids) if selection.items_file is not None else set(selection.item_ids)
    return wanted


def select(suite, split: str, selection: Selection, items: list | None = None) -> list:
    """The items the run evaluates, in suite order; `items`: the split's items, if the caller has read them.

    Without `items` the suite is streamed, and only the selected items are kept: `--limit 10`
    stops after ten, `--items` keeps the named ones, `--sample` keeps (id, family) of every
    candidate and reads the suite a second time for the chosen few.
    """
    if items is None:
        return in_shard(_select_streamed(suite, split, selection), selection.shard)
    wanted = _wanted(selection)
    if wanted is not None:
        _refuse_unknown(suite, split, selection, wanted - {item.id for item in items})
        items = [item for item in items if item.id in wanted]
    if selection.sample is not None:
        _check_sample(selection, len(items), split)
        items = stratified_sample(items, selection.sample, selection.seed)
    if selection.limit is not None:
        items = items[: selection.limit]
    return in_shard(items, selection.shard)


def _refuse_unknown(suite, split: str, selection: Selection, unknown: set[str]) -> None:
    if unknown:
        where = selection.items_file or "the requested ids"
        raise InputError(
            f"{where}: {len(unknown)} id(s) not in the {split} split of suite {suite.name!r}, "
            f"e.g. {', '.join(shown(i) for i in sorted(unknown)[:3])}"
        )


def _check_sample(selection: Selection, available: int, split: str) -> None:
    if selection.sample is not None and selection.sample > available:
        raise InputError(f"--sample {selection.sample} is more than the {available} {split} items to draw from")


def _select_streamed(suite, split: str, selection: Selection) -> list:
    wanted = _wanted(selection)

    def candidates():
        seen: set[str] = set()
        for item in suite.items(split):
            if wanted is None:
                yield item
            elif item.id in wanted:
                seen.add(item.id)
                yield item
        if wanted is not None:
            _refuse_unknown(suite, split, selection, wanted - seen)

    if selection.sample is None:
        if selection.limit is None or wanted is not None:
            items = list(candidates())  # an ids file is checked whole: every id must be in the split
            return items if selection.limit is None else items[: selection.limit]
        return list(itertools.islice(candidates(), selection.limit))
    keys = [_Key(item.id, item.family) for item in candidates()]
    _check_sample(selection, len(keys), split)
    picked = {key.id for key in stratified_sample(keys, selection.sample, selection.seed)}
    chosen = [item for item in suite.items(split) if item.id in picked]
    return chosen if selection.limit is None else chosen[: selection.limit]
