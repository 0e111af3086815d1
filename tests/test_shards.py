"""`--shard I/N` on the committed demo suite (no server): disjoint, complete, stratified, stable as the suite grows."""

from __future__ import annotations

from collections import Counter

import pytest

from harness.errors import InputError
from harness.runner.selection import Selection, select
from harness.runner.shards import Shard, parse_shard, shard_of
from harness.suitegen.model import open_suite

SUITE = open_suite("suites/demo")
ITEMS = list(SUITE.items("test"))


def test_four_shards_are_disjoint_and_cover_every_item_once():
    parts = [select(SUITE, "test", Selection(shard=Shard(i, 4))) for i in range(1, 5)]
    ids = [item.id for part in parts for item in part]
    assert len(ids) == len(set(ids)) == len(ITEMS)
    assert all(parts), [len(p) for p in parts]


def test_every_family_is_split_over_every_shard():
    """Hash shards trade exact balance for stability: each family's share per shard is 1/4 in expectation."""
    by_family = Counter(item.family for item in ITEMS)
    for index in range(1, 5):
        part = Counter(item.family for item in select(SUITE, "test", Selection(shard=Shard(index, 4))))
        for family, total in by_family.items():
            assert 0.10 * total <= part[family] <= 0.40 * total, (index, family, part[family], total)


def test_an_items_shard_does_not_change_when_the_suite_grows():
    before = {item.id: shard_of(item, 4) for item in ITEMS[: len(ITEMS) // 2]}  # the suite before it grew
    after = {item.id: shard_of(item, 4) for item in ITEMS}
    assert all(after[item_id] == shard for item_id, shard in before.items())


def test_shard_applies_after_sample_and_is_recorded():
    sample = select(SUITE, "test", Selection(sample=24, seed=1))
    parts = [select(SUITE, "test", Selection(sample=24, seed=1, shard=Shard(i, 4))) for i in range(1, 5)]
    assert sorted(i.id for p in parts for i in p) == sorted(i.id for i in sample)
    assert Selection(sample=24, seed=1, shard=Shard(2, 4)).recorded()["shard"] == "2/4"
    assert "shard" not in Selection(sample=24, seed=1).recorded()


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/4", "1", "", "1/4/2"])
def test_bad_shards_are_one_input_error(text):
    with pytest.raises(InputError, match="--shard"):
        parse_shard(text)


def test_good_shard_parses():
    assert parse_shard(" 3 / 4 ") == Shard(3, 4) and str(Shard(3, 4)) == "3/4"
