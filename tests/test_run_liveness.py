"""No run stays `running` after its process died: owner + heartbeat, `abandoned` in listings, `--resume` takes over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from dataclasses import replace

import pytest
from click.testing import CliRunner

from harness.cli.main import cli
from harness.errors import HarnessError
from harness.store import Store
from harness.store.liveness import check_not_running_elsewhere, observed, owner_alive, owner_fields
from harness.store.records import RunRecord

from .test_runner import big_suite, run_cli, start_run_and_wait


def running(**fields) -> RunRecord:
    return RunRecord(**{"id": "r1", "model": "m", "status": "running", **owner_fields(), **fields})


def test_owner_is_this_process_while_it_lives():
    run = running()
    assert run.owner_pid == os.getpid() and run.owner_started
    assert owner_alive(run) and observed(run).status == "running"
    with pytest.raises(HarnessError, match="still running"):
        check_not_running_elsewhere(run)
    assert observed(replace(run, status="finished")).status == "finished"


def test_a_dead_or_recycled_pid_or_a_stale_heartbeat_is_abandoned():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert observed(running(owner_pid=child.pid)).status == "abandoned"
    assert observed(running(owner_started="another-boot:1")).status == "abandoned"  # pid reused by another process
    assert observed(running(owner_pid=None)).status == "abandoned"
    elsewhere = running(owner_host=socket.gethostname() + "-other")
    assert observed(elsewhere).status == "running"  # fresh heartbeat from another host
    stale = replace(elsewhere, heartbeat_at="2020-01-01T00:00:00.000+00:00")
    assert observed(stale).status == "abandoned"
    check_not_running_elsewhere(stale)


def runs_listing(db) -> dict:
    result = CliRunner().invoke(cli, ["report", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    return {row["run_id"]: row for row in json.loads(result.output)["runs"]}


def test_sigkilled_run_is_listed_abandoned_and_resume_takes_it_over(tiny_graph, paced_gold, tmp_path):
    suite = big_suite(tmp_path, copies=150)
    db = tmp_path / "r.db"
    model = paced_gold(suite, pause_s=0.005)
    process, _ = start_run_and_wait(suite, db, judged_at_least=50, model=model)
    run = Store(db).runs()[0]
    assert run.owner_pid == process.pid and run.heartbeat_at and run.status == "running"
    assert runs_listing(db)[run.id]["status"] == "running"  # alive: not abandoned
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert Store(db).get_run(run.id).status == "running"  # the row could not say otherwise...
    assert runs_listing(db)[run.id]["status"] == "abandoned"  # ...but listings can
    shown = CliRunner().invoke(cli, ["report", "--db", str(db)])
    assert "abandoned" in shown.output
    resumed = run_cli("--model", model, "--suite", str(suite), "--db", str(db), "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout.strip() == run.id
    after = Store(db).get_run(run.id)
    assert after.status == "finished" and after.owner_pid == os.getpid()
    assert runs_listing(db)[run.id]["status"] == "finished"
