"""Every way a run can be stopped from outside ends it `interrupted`, with its run id and resume line:
SIGTERM and SIGHUP (as Ctrl-C does), a full disk (a real 1 MiB tmpfs in a private mount namespace),
and a lock held too long by another process. A killed `results import` leaves no run that `report`
shows, and running it again continues it. The runs are real `harness` processes on a real Neo4j."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.store import Store

from .kit import invoke
from .test_recorded_import import GENE_QUERY, checkpoint_line, write_jsonl
from .test_runner import big_suite, run_cli, start_run_and_wait

ROOT = Path(__file__).parents[1]


def statuses(db: Path) -> dict[str, str]:
    return dict(sqlite3.connect(db).execute("select id, status from runs").fetchall())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_end_a_run_interrupted_with_its_resume_line(tiny_graph, paced_gold, tmp_path, signum):
    suite = big_suite(tmp_path, copies=150)  # 1200 items
    db = tmp_path / "r.db"
    model = paced_gold(suite)
    process, _ = start_run_and_wait(suite, db, judged_at_least=30, model=model)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, (process.returncode, stderr)
    run_id = Store(db).runs()[0].id
    assert "Traceback" not in stderr and f"run {run_id} interrupted ({signum.name})" in stderr, stderr
    assert f"harness run --model {model} --resume" in stderr, stderr
    assert statuses(db) == {run_id: "interrupted"}
    resumed = run_cli("--model", model, "--suite", str(suite), "--db", str(db), "--resume")
    assert resumed.exit_code == 0 and resumed.stdout.strip() == run_id, resumed.output
    rows = sqlite3.connect(db).execute("select count(*), max(attempts) from results").fetchone()
    assert rows == (1200, 1) and statuses(db) == {run_id: "finished"}, rows


FULL_DISK = textwrap.dedent(
    """
    set -u
    mount -t tmpfs -o size=1m tmpfs "$DIR"
    "$PY" -m harness.cli.main run --model gold --suite "$SUITE" --db "$DIR/r.db" --quiet 2>"$OUT/full.err"
    echo $? > "$OUT/full.rc"
    "$PY" -m harness.cli.main report --db "$DIR/r.db" --format json > "$OUT/report.json" 2>"$OUT/report.err"
    mount -o remount,size=64m "$DIR"
    "$PY" -m harness.cli.main run --model gold --suite "$SUITE" --db "$DIR/r.db" --quiet --resume 2>"$OUT/resume.err"
    echo $? > "$OUT/resume.rc"
    "$PY" -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute('select status from runs').fetchall(), c.execute('select count(*), max(attempts) from results').fetchone())" "$DIR/r.db" > "$OUT/final.txt"
    """
)


def test_a_full_disk_ends_the_run_interrupted_and_resume_finishes_it(tiny_graph, tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare for a private tmpfs")
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("user and mount namespaces are not available here")
    suite = big_suite(tmp_path, copies=150)
    (tmp_path / "disk").mkdir()
    (tmp_path / "out").mkdir()
    env = {**os.environ, "DIR": str(tmp_path / "disk"), "OUT": str(tmp_path / "out"), "SUITE": str(suite)}
    env["PY"] = sys.executable
    subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", FULL_DISK], env=env, cwd=ROOT, timeout=600
    )
    out = tmp_path / "out"
    stderr = (out / "full.err").read_text()
    assert (out / "full.rc").read_text().strip() == "1" and "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    assert "database or disk is full" in errors[0] and "free space" in errors[0], errors
    assert "is interrupted" in errors[0] and "harness run --model gold --resume" in errors[0], errors
    listed = json.loads((out / "report.json").read_text())["runs"][0]
    assert listed["status"] in ("interrupted", "abandoned"), listed  # never `running` once the process is gone
    assert (out / "resume.rc").read_text().strip() == "0", (out / "resume.err").read_text()
    assert (out / "final.txt").read_text().strip() == "[('finished',)] (1200, 1)"


def test_a_lock_held_too_long_ends_the_run_interrupted_with_its_resume_line(tiny_graph, paced_gold, tmp_path):
    suite = big_suite(tmp_path, copies=150)
    db = tmp_path / "r.db"
    model = paced_gold(suite)
    process, _ = start_run_and_wait(suite, db, judged_at_least=20, model=model)
    blocker = sqlite3.connect(db, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock for 8 s
    time.sleep(8)
    blocker.rollback()
    blocker.close()
    _, stderr = process.communicate(timeout=120)
    run_id = Store(db).runs()[0].id
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert process.returncode == 1 and "Traceback" not in stderr and len(errors) == 1, stderr
    assert f"is locked by pid {os.getpid()}" in errors[0] and "waited 5." in errors[0], errors
    assert f"run {run_id} is interrupted" in errors[0] and f"harness run --model {model} --resume" in errors[0]
    assert statuses(db) == {run_id: "interrupted"}


def import_file(path: Path, n: int) -> Path:
    rows = [{"gene_symbol": "EGFR"}]
    return write_jsonl(
        path,
        [
            checkpoint_line(f"F1.1-{i:06d}", f"Which gene is EGFR, {i}?", GENE_QUERY, GENE_QUERY, gold=rows, rows=rows)
            for i in range(n)
        ],
    )


def start_import(source: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli.main",
            "results",
            "import",
            str(source),
            "--model",
            "seed",
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def wait_for_rows(db: Path, at_least: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if sqlite3.connect(db).execute("select count(*) from results").fetchone()[0] >= at_least:
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.2)
    raise AssertionError("the import recorded nothing")


def test_a_killed_results_import_is_never_reported_and_importing_again_continues_it(use_neo4j, tmp_path):
    source = import_file(tmp_path / "seed_checkpoint.jsonl", 1500)
    db = tmp_path / "r.db"
    process = start_import(source, db)
    wait_for_rows(db, 50)
    process.kill()
    process.wait()
    run_id, status = next(iter(statuses(db).items()))
    assert status == "importing"
    assert invoke("report", "--db", db).exit_code == 1  # no whole run to show: not the half-imported one
    process = start_import(source, db)
    wait_for_rows(db, sqlite3.connect(db).execute("select count(*) from results").fetchone()[0] + 20)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143 and "Traceback" not in stderr and "run the same" in stderr, stderr
    assert statuses(db) == {run_id: "interrupted"}
    done = invoke("results", "import", source, "--model", "seed", "--db", db)
    assert done.exit_code == 0 and done.stdout.strip() == run_id, done.output
    assert statuses(db) == {run_id: "imported"}
    rows = sqlite3.connect(db).execute("select count(*), max(attempts) from results").fetchone()
    assert rows == (1500, 1), rows
    report = json.loads(invoke("report", "--db", db, "--format", "json").stdout)
    assert report["summary"][0]["n_scored"] == 1500
