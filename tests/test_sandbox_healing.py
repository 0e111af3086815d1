"""A judge that heals: a harness-owned server that dies or hangs mid-run is restarted and the run finishes;
one that is not the harness's ends the run `interrupted` within a bounded time; `db status` sees a wedged server.

The owned server is one `db up`-style JVM per module (detached, its own state folder), recorded into each
test's state folder so that `harness run` finds it as `db up` left it. Each test starts, kills or stops
only servers it started itself, never the session's shared one.
"""

from __future__ import annotations

import json
import os
import shutil
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
from harness.graph.instance import kill_pid, load_record, save_record
from harness.store import Store

from .test_faults_neo4j_lost import WRONG_BUT_VALID, count, load_tiny_graph
from .test_runner import big_suite

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

# Untracked by the transaction memory pool: fills the heap until the JVM ends (ExitOnOutOfMemoryError)
# or stops answering while its collector thrashes.
MEMORY_BOMB = "RETURN size([x IN range(1, 400000000) | toString(x)]) AS n"


@pytest.fixture(scope="module")
def owned_server(tmp_path_factory):
    """A detached JVM server with the tiny graph, as `db up` + `graph load` leave it; the holder follows restarts."""
    home = tmp_path_factory.mktemp("owned-home")
    previous = os.environ.get("HARNESS_HOME")
    os.environ["HARNESS_HOME"] = str(home)
    try:
        instance, _ = provision.start_jvm(detached=True)
    finally:
        if previous is None:
            os.environ.pop("HARNESS_HOME", None)
        else:
            os.environ["HARNESS_HOME"] = previous
    load_tiny_graph(instance)
    holder = {"instance": instance}
    yield holder
    kill_pid(holder["instance"].pid)
    shutil.rmtree(holder["instance"].home or "", ignore_errors=True)


@pytest.fixture
def use_owned(owned_server):
    """This test's commands use the owned server as the recorded `db up` server (no NEO4J_URI)."""
    save_record(owned_server["instance"])
    yield owned_server["instance"]
    record = load_record()
    if record is not None:
        owned_server["instance"] = record  # a restart in this test moved the server to a new process


def replay(suite: Path, tmp_path: Path, output_of) -> Path:
    path = tmp_path / f"replay-{len(list(tmp_path.glob('replay-*')))}.jsonl"
    items = [json.loads(line) for line in (suite / "items.jsonl").read_text().splitlines()]
    path.write_text("".join(json.dumps({"id": item["id"], "output": output_of(item)}) + "\n" for item in items))
    return path


def run_args(suite: Path, replay_file: Path, db: Path) -> list[str]:
    return ["run", "--model", "replay", "--replay", str(replay_file), "--suite", str(suite), "--db", str(db)]


def verdicts(db: Path) -> dict[str, tuple[str, str | None]]:
    rows = sqlite3.connect(db).execute("select item_id, outcome, error_class from results").fetchall()
    return {item_id: (outcome, error_class) for item_id, outcome, error_class in rows}


def test_a_run_with_memory_bombs_heals_and_scores_each_bomb_as_the_models_failure(tmp_path, use_owned):
    suite = big_suite(tmp_path, copies=25)  # 200 items
    ids = [json.loads(line)["id"] for line in (suite / "items.jsonl").read_text().splitlines()]
    bombs = {ids[37], ids[151]}

    def output(item):
        if item["id"] in bombs:
            return MEMORY_BOMB
        return item["cypher"] if hash(item["id"]) % 3 else WRONG_BUT_VALID

    bombed, clean = tmp_path / "bombed.db", tmp_path / "clean.db"
    outputs = {item_id: None for item_id in ids}
    bomb_replay = replay(suite, tmp_path, output)
    clean_replay = replay(suite, tmp_path, lambda item: WRONG_BUT_VALID if item["id"] in bombs else output(item))
    pid_before = use_owned.pid
    result = CliRunner().invoke(cli, [*run_args(suite, bomb_replay, bombed), "--judge-workers", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    assert load_record().pid != pid_before  # the server was restarted, by the run itself
    run = Store(bombed).runs()[0]
    assert run.status == "finished", run
    got = verdicts(bombed)
    assert len(got) == len(outputs) == 200
    for bomb in bombs:
        assert got[bomb] == ("exec_error", "harness.ServerCrash"), got[bomb]
    assert CliRunner().invoke(cli, [*run_args(suite, clean_replay, clean), "--quiet"]).exit_code == 0
    expected = verdicts(clean)
    assert {i: v for i, v in got.items() if i not in bombs} == {i: v for i, v in expected.items() if i not in bombs}


def test_the_owned_server_killed_mid_run_is_restarted_and_the_run_finishes(tmp_path, use_owned):
    suite = big_suite(tmp_path, copies=300)  # 2400 items
    db = tmp_path / "r.db"
    replay_file = replay(suite, tmp_path, lambda item: item["cypher"])
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", *run_args(suite, replay_file, db), "--concurrency", "1", "--quiet"],
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 180
    while count(db, "results") < 50 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    os.kill(use_owned.pid, signal.SIGKILL)
    assert count(db, "results") < 2400  # killed mid-run
    _, stderr = process.communicate(timeout=400)
    assert process.returncode == 0 and "Traceback" not in stderr, stderr
    run = Store(db).runs()[0]
    assert run.status == "finished", run
    assert Store(db).outcome_counts(run.id) == {"correct": 2400}
    assert count(db, "results") == 2400  # no item judged twice: those in flight were judged again, once
    assert load_record().pid != use_owned.pid


def test_db_status_reports_a_stopped_server_within_its_timeout(use_owned):
    os.kill(use_owned.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["db", "status", "--timeout", "3"])
        took = time.monotonic() - started
    finally:
        os.kill(use_owned.pid, signal.SIGCONT)
    assert result.exit_code == 1 and took < 10, (result.output, took)
    assert "does not answer Bolt" in result.stderr and "harness db up" in result.stderr
    assert CliRunner().invoke(cli, ["db", "status"]).exit_code == 0  # awake again


def test_a_run_on_a_server_it_does_not_own_that_hangs_ends_interrupted_in_bounded_time(
    tmp_path, use_owned, monkeypatch
):
    """The same server through NEO4J_URI (the `uri` backend): never restarted, the run stops with its resume line."""
    suite = big_suite(tmp_path, copies=100)
    db = tmp_path / "r.db"
    replay_file = replay(suite, tmp_path, lambda item: item["cypher"])
    env = {**os.environ, "HARNESS_NEO4J": "uri", "NEO4J_URI": use_owned.uri, "HARNESS_NEO4J_STALL_S": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", *run_args(suite, replay_file, db), "--concurrency", "1", "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 180
    while count(db, "results") < 50 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    os.kill(use_owned.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        _, stderr = process.communicate(timeout=120)
        took = time.monotonic() - stopped
    finally:
        os.kill(use_owned.pid, signal.SIGCONT)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert process.returncode == 1 and "Traceback" not in stderr, stderr
    assert len(lines) == 1 and "went away during run" in lines[0] and "--resume" in lines[0], stderr
    assert took < 60, took  # the stall (3 s), a probe (5 s), the driver's own deadlines: not a wait without end
    assert Store(db).runs()[0].status == "interrupted"
    assert load_record().pid == use_owned.pid  # a server the run does not own is never restarted
