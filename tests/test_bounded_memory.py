"""Memory that does not grow with what is skipped: `--limit`, `--sample` and `--items` keep only
the items they select (the suite is streamed), and recorded rows are compared and imported one
large item at a time. No server: the selection and the recorded-file reading are library calls."""

from __future__ import annotations

import json
import shutil
import tracemalloc

import pytest

from harness.errors import InputError
from harness.judge import recorded as recorded_judge
from harness.runner import recorded_file
from harness.runner.selection import Selection, select
from harness.suitegen.model import open_suite

DEMO = open_suite("suites/demo")


@pytest.fixture
def suite_with_a_bad_tail(tmp_path):
    """The demo suite with a line that is not JSON after its first test items."""
    folder = tmp_path / "suite"
    shutil.copytree("suites/demo", folder)
    lines = (folder / "items.jsonl").read_text().splitlines()
    first_test = next(n for n, line in enumerate(lines) if json.loads(line)["split"] == "test")
    lines.insert(first_test + 30, "{ not json")
    (folder / "items.jsonl").write_text("\n".join(lines) + "\n")
    return open_suite(str(folder))


def test_limit_reads_only_the_items_it_needs(suite_with_a_bad_tail):
    """Before: every item of the suite was read (and the bad line refused) for --limit 10."""
    items = select(suite_with_a_bad_tail, "test", Selection(limit=10))
    assert [i.id for i in items] == [i.id for i in DEMO.items("test")][:10]
    with pytest.raises(InputError, match="bad JSON"):
        select(suite_with_a_bad_tail, "test", Selection())  # the whole split still meets the bad line


def test_streamed_selection_equals_the_in_memory_one():
    split = list(DEMO.items("test"))
    ids = [i.id for i in split][5:40:3]
    for selection in (
        Selection(sample=30, seed=3),
        Selection(sample=30, seed=3, limit=7),
        Selection(item_ids=frozenset(ids)),
        Selection(item_ids=frozenset(ids), sample=5, seed=1),
        Selection(limit=12),
    ):
        streamed = [i.id for i in select(DEMO, "test", selection)]
        in_memory = [i.id for i in select(DEMO, "test", selection, split)]
        assert streamed == in_memory, selection


def test_sample_keeps_keys_not_items():
    """A sample of 6 from the demo split holds about 6 items, not the whole split."""
    tracemalloc.start()
    try:
        select(DEMO, "test", Selection(sample=6, seed=0))
        _, sampled_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        list(DEMO.items("test"))
        _, whole_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sampled_peak < whole_peak / 2, (sampled_peak, whole_peak)


def rows(n: int, offset: int = 0) -> list[dict]:
    return [{"symbol": f"G{i + offset}", "n": i % 7, "tags": ["b", "a"]} for i in range(n)]


def test_large_equal_results_are_recognised_by_digests(monkeypatch):
    monkeypatch.setattr(recorded_judge, "LARGE_ROWS", 100)
    gold = rows(500)
    generated = [{"tags": ["a", "b"], "n": float(row["n"]), "symbol": row["symbol"]} for row in reversed(gold)]
    called = []
    monkeypatch.setattr(recorded_judge, "compare", lambda *a, **k: called.append(1))
    comparison = recorded_judge.compare_recorded(gold, generated, False)
    assert comparison.match and comparison.strict and comparison.f1 == 1.0 and not called
    assert not recorded_judge.same_rows(gold, generated, True)  # ordered: the reversed rows differ


def test_large_different_results_fall_back_to_the_full_comparison(monkeypatch):
    monkeypatch.setattr(recorded_judge, "LARGE_ROWS", 100)
    gold, generated = rows(500), rows(500)
    generated[-1] = {"symbol": "other", "n": 1, "tags": []}
    comparison = recorded_judge.compare_recorded(gold, generated, False)
    assert not comparison.match and comparison.reason == "missing_and_extra_rows"
    renamed = [{"gene": r["symbol"], "n": r["n"], "tags": r["tags"]} for r in gold]  # same content, other names
    assert recorded_judge.compare_recorded(gold, renamed, False).match


def checkpoint_line(item_id: str, n_rows: int) -> str:
    return json.dumps(
        {
            "id": item_id,
            "question": f"q {item_id}",
            "gold_cypher": "MATCH (g:Gene) RETURN g.symbol AS symbol",
            "generated_cypher": "MATCH (g:Gene) RETURN g.symbol AS symbol",
            "execution_success": True,
            "gold_rows": rows(n_rows),
            "generated_rows": rows(n_rows),
        }
    )


def test_recorded_rows_beyond_the_budget_are_read_again_one_item_at_a_time(tmp_path):
    path = tmp_path / "checkpoint.jsonl"
    path.write_text(
        "\n".join(checkpoint_line(f"F1.1-{n}", 50) for n in range(6)) + "\n" + checkpoint_line("F1.1-0", 50)
    )
    checked = recorded_file.read_recorded(path, row_budget=250)
    assert [item.rows_dropped for item in checked] == [False, False, True, True, True, True, True]
    assert sum(len(item.gold_rows) for item in checked) == 100  # two items' rows, not seven
    full = list(recorded_file.with_rows(path, checked))
    assert all(len(item.gold_rows) == len(item.generated_rows) == 50 for item in full)
    assert [item.id for item in full] == [item.id for item in checked] and full[-1].id == "F1.1-0~2"

    path.write_text(path.read_text().replace("F1.1-5", "F1.1-9"))  # changed between the two passes
    with pytest.raises(InputError, match="changed while it was imported"):
        list(recorded_file.with_rows(path, checked))
