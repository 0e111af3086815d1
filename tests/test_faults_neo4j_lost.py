"""Neo4j killed during a run: the run stops calling the model, ends with one line, and resumes exactly.

Each test here starts and kills its own server, never the session's shared one.
"""

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
from harness.graph import provision
from harness.graph.csv_source import read_graph_folder
from harness.graph.driver import open_driver
from harness.graph.loader import load_graph
from harness.store import Store

from .conftest import TINY_GRAPH
from .test_runner import big_suite

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

WRONG_BUT_VALID = "MATCH (g:Gene) RETURN g.symbol AS symbol ORDER BY symbol"  # runs on Neo4j, unlike gold


def load_tiny_graph(instance) -> None:
    driver = open_driver(instance)
    load_graph(driver, read_graph_folder(TINY_GRAPH), replace=True)
    driver.close()


def replay_file(suite: Path, tmp_path: Path) -> Path:
    path = tmp_path / "replay.jsonl"
    ids = [json.loads(line)["id"] for line in (suite / "items.jsonl").read_text().splitlines()]
    path.write_text("".join(json.dumps({"id": i, "output": WRONG_BUT_VALID}) + "\n" for i in ids))
    return path


def count(db: Path, table: str) -> int:
    try:
        return sqlite3.connect(db).execute(f"select count(*) from {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_neo4j_killed_mid_run_stops_the_model_and_resume_matches_an_uninterrupted_run(tmp_path, monkeypatch):
    suite = big_suite(tmp_path, copies=300)  # 2400 items
    replay = replay_file(suite, tmp_path)
    db = tmp_path / "r.db"
    args = ["--model", "replay", "--replay", str(replay), "--suite", str(suite), "--quiet"]
    with provision.ephemeral("jvm") as doomed:
        load_tiny_graph(doomed)
        env = {**os.environ, "HARNESS_NEO4J": "uri", "NEO4J_URI": doomed.uri, "HARNESS_DB": str(db)}
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.cli.main", "run", *args, "--concurrency", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while count(db, "results") < 100 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        os.kill(doomed.pid, signal.SIGKILL)
        generated_at_kill = count(db, "generations")
        _, stderr = process.communicate(timeout=180)

    lines = [line for line in stderr.splitlines() if line.strip()]
    assert process.returncode == 1 and "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith(f"Error: Neo4j at {doomed.uri} went away during run "), stderr
    assert "harness db up" in lines[0] and "harness graph load" in lines[0] and "--resume" in lines[0]
    store = Store(db)
    run = store.runs()[0]
    counts = store.outcome_counts(run.id)
    assert run.status == "interrupted", run
    assert "harness_error" not in counts and counts.get("infra_db", 0) >= 1, counts
    assert 100 <= generated_at_kill < 2400
    assert count(db, "generations") - generated_at_kill <= 10  # a handful of model calls after the kill, not 2000

    with provision.ephemeral("jvm") as revived:  # `db up` + `graph load`
        load_tiny_graph(revived)
        monkeypatch.setenv("HARNESS_NEO4J", "uri")
        monkeypatch.setenv("NEO4J_URI", revived.uri)
        resumed = CliRunner().invoke(cli, ["run", *args, "--db", str(db), "--resume"])
        clean = CliRunner().invoke(cli, ["run", *args, "--db", str(tmp_path / "clean.db")])
    assert resumed.exit_code == 0 and resumed.stdout.strip() == run.id, resumed.output
    assert clean.exit_code == 0, clean.output
    totals = Store(db).outcome_counts(run.id)
    assert totals == Store(tmp_path / "clean.db").outcome_counts(clean.stdout.strip())
    assert sum(totals.values()) == 2400 and Store(db).get_run(run.id).status == "finished"
