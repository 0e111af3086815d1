"""Faults around a run: a locked results database, rescore of a live run, odd replay files, a damaged store."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from harness.cli.main import cli
from harness.store import Store

from .report_fixtures import add_run
from .test_runner import TINY_SUITE, big_suite, run_cli


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


@pytest.mark.slow
def test_a_run_that_fails_on_a_locked_database_is_not_left_running(tiny_graph, tmp_path):
    suite = big_suite(tmp_path, copies=150)  # 1200 items
    db = tmp_path / "r.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "run", "--model", "gold", "--suite", str(suite), "--quiet"],
        env={**os.environ, "HARNESS_DB": str(db)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    judged = 0
    while judged < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
        try:
            judged = sqlite3.connect(db).execute("select count(*) from results").fetchone()[0]
        except sqlite3.OperationalError:
            pass
    blocker = sqlite3.connect(db, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock for 12 s, as in the report
    time.sleep(12)
    blocker.rollback()
    blocker.close()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1 and "Traceback" not in stderr, stderr
    assert len(error_lines(stderr)) == 1 and "is locked by pid" in stderr and "--resume" in stderr, stderr
    run = Store(db).runs()[0]
    assert run.status == "interrupted" and "locked" in run.error, run  # resumable, not failed


def test_rescore_refuses_a_run_that_is_still_running(store):
    run_id = add_run(store, "gold", {"F1-0001": "correct"}, status="running")
    result = CliRunner().invoke(cli, ["rescore", run_id, "--quiet"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert error_lines(result.stderr) == [
        f"Error: run {run_id} is still running: rescore it once it has ended "
        f"(if its process died, `harness run --run-id {run_id}` finishes it first)"
    ]
    assert [r.id for r in store.runs()] == [run_id]  # no new, incomplete run


def test_a_lone_surrogate_in_a_replay_output_is_stored_and_every_item_judged(tiny_graph, tmp_path):
    items = [json.loads(line) for line in (TINY_SUITE / "items.jsonl").read_text().splitlines()][:5]
    replay = tmp_path / "replay.jsonl"
    records = [{"id": i["id"], "output": i["cypher"]} for i in items]
    records[1]["output"] = "MATCH (g:Gene) RETURN g.symbol AS s // \ud800"
    replay.write_text("".join(json.dumps(r) + "\n" for r in records))  # json writes the escape "\ud800"
    assert "\\ud800" in replay.read_text()
    db = tmp_path / "r.db"
    result = run_cli("--model", "replay", "--replay", str(replay), "--suite", str(TINY_SUITE), "--db", str(db))
    assert "Traceback" not in result.output and "UnicodeEncodeError" not in result.output, result.output
    run = Store(db).runs()[0]
    assert run.status != "failed" and run.status != "running", run
    stored = {g["item_id"]: g["output"] for g in Store(db).generations(run.id)}
    assert len(stored) == 8 and stored[items[1]["id"]].endswith("// \ufffd")
    assert sum(Store(db).outcome_counts(run.id).values()) == 8


def test_an_empty_replay_file_is_one_error_not_800_infra_items(tiny_graph, tmp_path):
    replay = tmp_path / "empty.jsonl"
    replay.write_text("\n")
    db = tmp_path / "r.db"
    result = run_cli("--model", "replay", "--replay", str(replay), "--suite", str(TINY_SUITE), "--db", str(db))
    assert result.exit_code == 1, result.output
    assert error_lines(result.stderr) == [
        f'Error: {replay}: no records (expected JSONL lines of {{"id": ..., "output": ...}})'
    ]
    assert not db.exists() or Store(db).runs() == []


def test_a_results_database_without_its_results_table_is_one_error(tmp_path):
    db = tmp_path / "r.db"
    Store(db).close()
    sqlite3.connect(db).execute("drop table results")
    for args in (["report", "--db", str(db)], ["run", "--model", "gold", "--suite", str(TINY_SUITE), "--db", str(db)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1 and "Traceback" not in result.output, (args, result.output)
        assert error_lines(result.stderr) == [
            f"Error: {db} is damaged: table results is missing; use another --db (or restore this one from a backup)"
        ], args
