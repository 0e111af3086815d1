"""Two `harness db up` at once start one Neo4j: the second waits for the first's lock on the state
folder, then reuses its server (before: two JVMs, one recorded, the other left running with its data)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.graph.instance import load_record, pid_alive

ROOT = Path(__file__).parents[1]


def java_servers_under(home: Path) -> list[int]:
    """Pids of processes whose command line names a folder under `home` (the JVMs `db up` started there)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(home).encode() in command and b"java" in command and pid_alive(int(entry.name)):
                pids.append(int(entry.name))
    return pids


@pytest.mark.slow
@pytest.mark.neo4j
def test_two_db_up_at_once_start_one_server(tmp_path):
    home = Path(os.environ["HARNESS_HOME"])
    env = {**os.environ, "HARNESS_NEO4J": "jvm"}
    command = [sys.executable, "-m", "harness.cli.main", "db", "up"]
    ups = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    time.sleep(0.5)
    ups.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        answers = [process.communicate(timeout=400) for process in ups]
        servers = java_servers_under(home)
        folders = sorted(p.name for p in (home / "data").iterdir())
    finally:
        subprocess.run([sys.executable, "-m", "harness.cli.main", "db", "down"], env=env, cwd=ROOT, timeout=120)
        for pid in java_servers_under(home):  # anything the old behaviour left behind
            os.kill(pid, 9)
    assert [p.returncode for p in ups] == [0, 0], answers
    assert answers[0][0] == answers[1][0], answers  # the same URI
    assert "reusing" in answers[0][1] + answers[1][1], answers
    assert len(servers) == 1 and len(folders) == 1, (servers, folders)
    assert load_record() is None
