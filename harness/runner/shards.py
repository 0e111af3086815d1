"""`--shard I/N`: a deterministic, disjoint part of a run's items, for batch schedulers (CI matrices,
Slurm arrays, Kubernetes indexed jobs); `harness results merge` puts the parts back into one run.

An item belongs to shard `sha256(family, id) mod N`: the same item always lands in the same shard
whatever else the suite holds, so a grown suite moves no item between shards, and each family is
split on its own (a family's items spread over the shards in expectation equally, stratified).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..errors import InputError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as the user writes it: 1/4 .. 4/4
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, item) -> bool:
        return shard_of(item, self.count) == self.index


def parse_shard(text: str) -> Shard:
    match = _SHARD.match(text or "")
    if not match:
        raise InputError(f"--shard {text!r}: expected I/N, e.g. 1/4")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise InputError(f"--shard {text}: I must be between 1 and N (N >= 1)")
    return Shard(index, count)


def shard_of(item, count: int) -> int:
    """The 1-based shard of an item among `count`: a hash of its family and id, stable as the suite grows."""
    digest = hashlib.sha256(f"{item.family}\0{item.id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(items: list, shard: Shard | None) -> list:
    return items if shard is None else [item for item in items if shard.holds(item)]
