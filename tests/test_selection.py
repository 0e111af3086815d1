"""`--sample N --seed S` (family-stratified, seeded) and `--items FILE` on the committed demo suite, no server."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from harness.errors import InputError
from harness.runner.selection import Selection, read_ids_file, select
from harness.suitegen.model import open_suite

SUITE = open_suite("suites/demo")


def families(items) -> Counter:
    return Counter(item.family for item in items)


def test_sample_is_stratified_by_family_and_reproducible():
    first = select(SUITE, "test", Selection(sample=30, seed=1))
    assert len(first) == 30 and set(families(first).values()) == {5}  # 6 families, 5 each
    assert [i.id for i in select(SUITE, "test", Selection(sample=30, seed=1))] == [i.id for i in first]
    other = select(SUITE, "test", Selection(sample=30, seed=2))
    assert {i.id for i in other} != {i.id for i in first}
    order = [i.id for i in SUITE.items("test")]
    assert [i.id for i in first] == sorted((i.id for i in first), key=order.index)  # suite order


def test_uneven_sample_spreads_over_families_and_then_limit_applies():
    items = select(SUITE, "test", Selection(sample=8, seed=0))
    assert len(items) == 8 and len(families(items)) == 6 and max(families(items).values()) == 2
    assert len(select(SUITE, "test", Selection(sample=8, seed=0, limit=3))) == 3


def test_ids_file_as_text_or_replay_jsonl(tmp_path):
    ids = [i.id for i in SUITE.items("test")][10:14]
    text = tmp_path / "ids.txt"
    text.write_text("# chosen\n" + "\n".join(ids) + "\n\n")
    replay = tmp_path / "replay.jsonl"
    replay.write_text("".join(json.dumps({"id": i, "output": "MATCH (n) RETURN n LIMIT 1"}) + "\n" for i in ids))
    assert [i.id for i in select(SUITE, "test", Selection(items_file=str(text)))] == ids
    assert [i.id for i in select(SUITE, "test", Selection(items_file=str(replay)))] == ids
    recorded = Selection(items_file=str(text)).recorded()
    assert recorded["items"]["count"] == 4 and len(recorded["items"]["sha256"]) == 16
    assert Selection(limit=5).recorded() == {"limit": 5}  # plain runs keep their resume key


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "no item ids"),
        ("not-an-item\n", "not in the test split"),
        ('{"output": 1}\n', 'JSON object with "id"'),
    ],
)
def test_bad_ids_files_are_one_clear_error(tmp_path, content, message):
    path = tmp_path / "ids.txt"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        select(SUITE, "test", Selection(items_file=str(path)))


def test_sample_larger_than_the_split_is_refused(tmp_path):
    with pytest.raises(InputError, match="more than the"):
        select(SUITE, "test", Selection(sample=100_000))
    with pytest.raises(InputError, match="not found"):
        read_ids_file(tmp_path / "missing.txt")
