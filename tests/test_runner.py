"""`harness run` end to end on a real Neo4j: gold scores 100%, resume after SIGKILL, infra retries, bad input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import cli
from harness.graph.fingerprint import fingerprint
from harness.store import Store

from .conftest import FIXTURES

TINY_SUITE = FIXTURES / "tiny_suite"


def big_suite(tmp_path: Path, copies: int) -> Path:
    """The tiny suite's test items repeated under new ids: a suite long enough to kill mid-run."""
    folder = tmp_path / "big_suite"
    folder.mkdir()
    items = [json.loads(line) for line in (TINY_SUITE / "items.jsonl").read_text().splitlines()]
    with open(folder / "items.jsonl", "w") as handle:
        for copy in range(copies):
            for item in items:
                if item["split"] == "test":
                    handle.write(
                        json.dumps({**item, "id": f"{item['id']}-{copy:04d}", "group_id": f"{item['id']}-{copy:04d}"})
                        + "\n"
                    )
    (folder / "manifest.json").write_text((TINY_SUITE / "manifest.json").read_text())
    return folder


def start_run_and_wait(suite: Path, db: Path, judged_at_least: int, model: str) -> tuple[subprocess.Popen, int]:
    """`harness run --model MODEL` in a child process, returned once it has judged some items."""
    env = {**os.environ, "HARNESS_DB": str(db)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli.main",
            "run",
            "--model",
            model,
            "--suite",
            str(suite),
            "--concurrency",
            "1",
            "--quiet",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    judged = 0
    while time.monotonic() < deadline and judged < judged_at_least:
        time.sleep(0.2)
        if db.exists():
            try:
                judged = sqlite3.connect(db).execute("select count(*) from results").fetchone()[0]
            except sqlite3.OperationalError:
                pass
    return process, judged


def run_cli(*args):
    return CliRunner().invoke(cli, ["run", "--quiet", *args])


def results(db: Path, run_id: str) -> list[dict]:
    return list(Store(db).results(run_id))


def test_gold_scores_100_percent_on_all_three_levels(tiny_graph, tmp_path):
    db = tmp_path / "r.db"
    result = run_cli("--model", "gold", "--suite", str(TINY_SUITE), "--db", str(db))
    assert result.exit_code == 0, result.output
    run_id = result.stdout.strip()
    rows = results(db, run_id)
    assert len(rows) == 8
    assert all(
        r["outcome"] == "correct" and r["syntax_ok"] and r["exec_ok"] and r["match"] and r["strict_match"] for r in rows
    )
    run = Store(db).get_run(run_id)
    assert run.status == "finished" and run.graph_fingerprint == run.fingerprint_after
    assert run.neo4j_version.startswith("5.26") and run.model_spec["adapter"] == "gold"


def test_gold_results_are_cached_per_graph(tiny_graph, tmp_path):
    db = tmp_path / "r.db"
    run_cli("--model", "gold", "--suite", str(TINY_SUITE), "--db", str(db))
    cached = (
        sqlite3.connect(db).execute("select count(*), count(distinct graph_fingerprint) from gold_cache").fetchone()
    )
    assert cached == (8, 1)


def test_write_queries_from_a_model_are_forbidden_and_the_graph_is_unchanged(tiny_graph, tmp_path):
    before = fingerprint(tiny_graph)
    replay = tmp_path / "replay.jsonl"
    replay.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "t1", "output": "MATCH (g:Gene) DETACH DELETE g"},
                {"id": "t2", "output": "CREATE (:Gene {symbol: 'X'}) RETURN 1"},
                {"id": "t3", "output": "```cypher\nMATCH (t:Therapy) SET t.name = 'x' RETURN t\n```"},
            ]
        )
    )
    result = run_cli(
        "--model",
        "replay",
        "--replay",
        str(replay),
        "--suite",
        str(TINY_SUITE),
        "--db",
        str(tmp_path / "r.db"),
        "--limit",
        "3",
    )
    assert result.exit_code == 0, result.output
    outcomes = {r["item_id"]: r["outcome"] for r in results(tmp_path / "r.db", result.stdout.strip())}
    assert outcomes == {"t1": "forbidden", "t2": "forbidden", "t3": "forbidden"}
    assert fingerprint(tiny_graph) == before


def test_a_graph_changed_during_the_run_fails_the_run(tiny_graph, tmp_path, monkeypatch):
    from harness.adapters.gold import GoldAdapter

    answer = GoldAdapter.generate

    def generate_and_change_the_graph(self, item):  # another client writes while the run judges
        if item.id == "t3":
            tiny_graph.execute_query("MATCH (t:Therapy) WITH t LIMIT 1 SET t.modality = 'changed'")
        return answer(self, item)

    monkeypatch.setattr(GoldAdapter, "generate", generate_and_change_the_graph)
    db = tmp_path / "r.db"
    result = run_cli("--model", "gold", "--suite", str(TINY_SUITE), "--db", str(db))
    assert result.exit_code == 1
    assert "Error: the graph changed during run" in result.output and "reload the graph" in result.output
    (run,) = Store(db).runs()
    assert run.status == "failed" and run.fingerprint_after == fingerprint(tiny_graph)
    assert run.fingerprint_after != run.graph_fingerprint


def test_infra_errors_are_not_scored_and_are_retried_on_resume(tiny_graph, tmp_path):
    db = tmp_path / "r.db"
    replay = tmp_path / "replay.jsonl"
    items = [json.loads(line) for line in (TINY_SUITE / "items.jsonl").read_text().splitlines() if '"test"' in line]
    # first pass: half of the outputs are missing (the model "was unreachable") and one is wrong
    first = [{"id": i["id"], "output": i["cypher"]} for i in items[:4]]
    first[0]["output"] = "MATCH (t:Therapy) RETURN t.name AS therapy"
    replay.write_text("\n".join(json.dumps(r) for r in first))
    run1 = run_cli("--model", "replay", "--replay", str(replay), "--suite", str(TINY_SUITE), "--db", str(db))
    run_id = run1.stdout.strip()
    store = Store(db)
    assert store.get_run(run_id).status == "incomplete"
    counts = store.outcome_counts(run_id)
    assert counts == {"correct": 3, "wrong_result": 1, "infra_model": 4}
    # second pass: the model answers everything; only the 4 infra items are asked again
    replay.write_text("\n".join(json.dumps({"id": i["id"], "output": i["cypher"]}) for i in items))
    run2 = run_cli(
        "--model", "replay", "--replay", str(replay), "--suite", str(TINY_SUITE), "--db", str(db), "--resume"
    )
    assert run2.exit_code == 0, run2.output
    assert run2.stdout.strip() == run_id and "4 items judged now" in run2.stderr
    assert Store(db).outcome_counts(run_id) == {"correct": 7, "wrong_result": 1}  # scored items were not re-judged
    assert Store(db).get_run(run_id).status == "finished"


def test_sigkill_mid_run_then_resume_judges_every_item_exactly_once(tiny_graph, paced_gold, tmp_path):
    suite = big_suite(tmp_path, copies=150)  # 1200 items
    db = tmp_path / "r.db"
    model = paced_gold(suite, pause_s=0.005)
    process, _ = start_run_and_wait(suite, db, judged_at_least=100, model=model)
    process.send_signal(signal.SIGKILL)
    process.wait()
    store = Store(db)
    run = store.runs()[0]
    partial = sum(store.outcome_counts(run.id).values())
    assert 0 < partial < 1200 and run.status == "running"

    resumed = run_cli("--model", model, "--suite", str(suite), "--db", str(db), "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout.strip() == run.id
    rows = results(db, run.id)
    assert len(rows) == 1200 and len({r["item_id"] for r in rows}) == 1200
    assert all(r["attempts"] == 1 for r in rows)  # nothing judged twice
    clean = run_cli("--model", "gold", "--suite", str(suite), "--db", str(tmp_path / "clean.db"))
    assert (
        Store(db).outcome_counts(run.id)
        == Store(tmp_path / "clean.db").outcome_counts(clean.stdout.strip())
        == {"correct": 1200}
    )


def test_rescore_judges_stored_generations_without_the_model(tiny_graph, tmp_path):
    db = tmp_path / "r.db"
    first = run_cli("--model", "gold", "--suite", str(TINY_SUITE), "--db", str(db)).stdout.strip()
    result = CliRunner().invoke(cli, ["rescore", first, "--db", str(db), "--quiet"])
    assert result.exit_code == 0, result.output
    second = result.stdout.strip()
    assert second != first
    assert Store(db).outcome_counts(second) == {"correct": 8}
    assert Store(db).get_run(second).options["rescore_of"] == first


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "no-such-model"], "unknown model 'no-such-model'"),
        (["--model", "gold", "--suite", "no-such-suite"], "suite 'no-such-suite' not found"),
        (["--model", "replay"], "needs a file"),
    ],
)
def test_bad_input_gives_one_error_and_no_run_rows(tiny_graph, tmp_path, args, message):
    db = tmp_path / "r.db"
    result = run_cli(*args, "--db", str(db), *(["--suite", str(TINY_SUITE)] if "--suite" not in args else []))
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert "Traceback" not in result.output
    assert not db.exists() or Store(db).runs() == []


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"id": "t1", "output": "MATCH (n) RETURN n"}\n{bad json', "line 2: bad JSON"),
        ('{"id": "nope", "output": "MATCH (n) RETURN n"}', "not in the suite"),
        ('{"output": "MATCH (n) RETURN n"}', "line 1: expected an object"),
    ],
)
def test_bad_replay_files_give_one_error_and_no_run_rows(tiny_graph, tmp_path, content, message):
    replay = tmp_path / "replay.jsonl"
    replay.write_text(content)
    db = tmp_path / "r.db"
    result = run_cli("--model", "replay", "--replay", str(replay), "--suite", str(TINY_SUITE), "--db", str(db))
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert not db.exists() or Store(db).runs() == []


def test_a_suite_from_another_graph_is_refused(use_neo4j, tmp_path):
    result = run_cli("--model", "gold", "--suite", str(TINY_SUITE), "--db", str(tmp_path / "r.db"))
    assert result.exit_code == 1 and "was generated from graph" in result.stderr


def test_database_from_a_newer_schema_is_refused(tmp_path):
    db = tmp_path / "r.db"
    Store(db).db["_sqlite_migrations"].insert(
        {"migration_set": "oncograph_harness", "name": "from_the_future", "applied_at": "x"}
    )
    result = CliRunner().invoke(cli, ["rescore", "anything", "--db", str(db)])
    assert result.exit_code == 1 and "newer harness" in result.stderr


def test_locked_database_is_one_error_line(tmp_path):
    db = tmp_path / "r.db"
    Store(db)
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        from harness.errors import HarnessError

        with pytest.raises(HarnessError, match="locked"):
            Store(db).create_run(model="gold", suite="x")
    finally:
        blocker.rollback()


def test_ctrl_c_stops_cleanly_and_marks_the_run_interrupted(tiny_graph, paced_gold, tmp_path):
    suite = big_suite(tmp_path, copies=150)
    db = tmp_path / "r.db"
    process, judged = start_run_and_wait(suite, db, judged_at_least=50, model=paced_gold(suite))
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, (process.returncode, judged, stderr)
    assert "Traceback" not in stderr and "Interrupted: run " in stderr and "--resume" in stderr, stderr
    run = Store(db).runs()[0]
    assert run.status == "interrupted", (run, stderr)
    assert 0 < sum(Store(db).outcome_counts(run.id).values()) < 1200, stderr


def test_gold_on_the_committed_demo_suite_is_100_percent_with_no_infra_errors(use_neo4j, tmp_path):
    db = tmp_path / "r.db"
    result = run_cli("--model", "gold", "--suite", "suites/demo", "--db", str(db))
    assert result.exit_code == 0, result.output
    store = Store(db)
    run = store.get_run(result.stdout.strip())
    assert store.outcome_counts(run.id) == {"correct": run.n_planned} and run.n_planned >= 600
    rows = list(store.results(run.id))
    assert all(r["syntax_ok"] == r["exec_ok"] == r["match"] == 1 for r in rows)
    assert {r["family_id"] for r in rows} == {"F1", "F2", "F3", "F4", "F5", "F6"}
