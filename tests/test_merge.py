"""`harness run --shard I/N` + `harness results merge` on a real Neo4j with the gold model: the merged run's
report equals the unsharded run's, and every refusal is one `Error:` line."""

from __future__ import annotations

import json
import os

import pytest

from harness.store import Store
from harness.store.liveness import owner_fields

from .kit import invoke, one_error_line

pytestmark = pytest.mark.slow
SAMPLE = ("--suite", "suites/demo", "--sample", "24", "--seed", "1", "--quiet")


def run(db, *args) -> str:
    result = invoke("run", "--model", "gold", *SAMPLE, "--db", db, *args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def report(db) -> list[dict]:
    """The report's summary rows, without what differs between any two runs (ids, times, labels)."""
    result = invoke("report", "--format", "json", "--db", db)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    return strip(rows)


MEASURED = (
    "latency_median_ms",
    "latency_p95_ms",
    "tokens_per_s",
    "load_s",
    "generation_s",
)  # timings: no two real runs share them


def strip(value):
    """The report without what differs between any two runs of the same items: ids, times, labels, timings."""
    volatile = ("run_id", "run", "label", "started_at", "finished_at", "id", *MEASURED)
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


@pytest.fixture
def shards(use_neo4j, tmp_path):
    dbs = [tmp_path / f"shard{i}.db" for i in range(1, 5)]
    for index, db in enumerate(dbs, 1):
        run(db, "--shard", f"{index}/4")
    return dbs


def test_four_shards_merged_report_equals_the_unsharded_run(shards, tmp_path):
    whole = tmp_path / "whole.db"
    whole_id = run(whole)
    merged = tmp_path / "merged.db"
    result = invoke("results", "merge", *shards, "-o", merged)
    assert result.exit_code == 0, result.output
    assert report(merged) == report(whole)
    with Store(whole) as a, Store(merged) as b:
        run_a, run_b = a.get_run(whole_id), b.get_run(result.stdout.strip())
        assert run_b.status == "finished" and run_b.options_key == run_a.options_key
        assert run_b.n_planned == run_a.n_planned == 24
        ra = {r["item_id"]: (r["outcome"], r["extracted_query"]) for r in a.results(whole_id)}
        rb = {r["item_id"]: (r["outcome"], r["extracted_query"]) for r in b.results(run_b.id)}
        assert ra == rb
        merged_from = run_b.merged_from or []
        assert [m["shard"] for m in merged_from] == ["1/4", "2/4", "3/4", "4/4"]


def test_merge_refuses_a_missing_an_overlapping_or_a_foreign_shard(shards, tmp_path):
    out = tmp_path / "out.db"
    one_error_line(invoke("results", "merge", *shards[:3], "-o", out), "shard(s) 4 of 4 missing")
    again = tmp_path / "again.db"
    run(again, "--shard", "1/4")
    one_error_line(invoke("results", "merge", *shards, again, "-o", out), "same shard", "overlap")
    other = tmp_path / "other.db"
    run(other, "--shard", "4/4", "--timeout", "5")
    one_error_line(invoke("results", "merge", *shards[:3], other, "-o", out), "different options")
    models = tmp_path / "models"
    models.mkdir()
    (models / "gold2.toml").write_text('adapter = "gold"\n')
    other_model = tmp_path / "other_model.db"
    result = invoke(
        "run",
        "--model",
        "gold2",
        *SAMPLE,
        "--db",
        other_model,
        "--shard",
        "4/4",
        env={"HARNESS_MODELS_DIR": str(models)},
    )
    assert result.exit_code == 0, result.output
    one_error_line(invoke("results", "merge", *shards[:3], other_model, "-o", out), "different models")
    assert not out.exists()


def test_merge_refuses_a_running_shard_other_versions_and_an_existing_output(shards, tmp_path):
    out = tmp_path / "out.db"
    with Store(shards[1]) as store:
        run_id = store.runs()[0].id
        store.update_run(run_id, status="running", **owner_fields())  # this live process owns it
    one_error_line(invoke("results", "merge", *shards, "-o", out), "shard 2/4", "still running")
    with Store(shards[1]) as store:
        store.update_run(run_id, status="running", owner_pid=2**22 + 7, owner_host=os.uname().nodename)
    one_error_line(invoke("results", "merge", *shards, "-o", out), "abandoned")
    with Store(shards[1]) as store:
        store.update_run(run_id, status="finished", harness_version="0.0.1")
    one_error_line(invoke("results", "merge", *shards, "-o", out), "different harness versions")
    one_error_line(invoke("results", "merge", shards[0], tmp_path / "nowhere.db", "-o", out), "no such")
    assert not out.exists()
    out.write_bytes(shards[0].read_bytes())
    one_error_line(invoke("results", "merge", *shards, "-o", out), "refusing to overwrite")
