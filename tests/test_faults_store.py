"""A results database that is damaged, read from a read-only place with its WAL beside it, opened by two
processes at once for the first time, or held by another process: each is one `Error:` line or a
complete answer, never a traceback or a partial report. No Neo4j is needed (the store opens first)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.store import Store

from .kit import invoke, one_error_line
from .report_fixtures import add_run, outcomes
from .test_runner import TINY_SUITE

UNSHARE = shutil.which("unshare")


def results_db(path: Path, items: int = 3000, status: str = "interrupted") -> str:
    with Store(path) as store:
        run_id = add_run(store, "gold", outcomes("F1", {"correct": items}), status=status)
    return run_id


def run_status(path: Path, run_id: str) -> str:
    return sqlite3.connect(path).execute("select status from runs where id = ?", [run_id]).fetchone()[0]


def test_garbage_in_the_middle_is_refused_for_writing_and_reading_and_resume_keeps_the_status(tmp_path):
    db = tmp_path / "r.db"
    run_id = results_db(db)
    size = db.stat().st_size
    with open(db, "r+b") as handle:  # a page of results in the middle overwritten, as a bad disk or copy does
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(os.urandom(4096))
    for args in (
        ["report", "--db", db],
        ["report", "--format", "json", "--db", db],
        ["run", "--model", "gold", "--suite", TINY_SUITE, "--db", db, "--quiet"],
        ["run", "--model", "gold", "--suite", TINY_SUITE, "--db", db, "--quiet", "--resume"],
        ["run", "--model", "gold", "--suite", TINY_SUITE, "--db", db, "--quiet", "--run-id", run_id],
    ):
        line = one_error_line(invoke(*args), "is damaged", "PRAGMA integrity_check", ".recover")
        assert str(db) in line, line
    assert run_status(db, run_id) == "interrupted"  # no resume flipped it to running


def drop_index_rows(db: Path) -> None:
    """Rows added to `results` while its index is hidden from the schema: the index misses them."""
    conn = sqlite3.connect(db)
    index = conn.execute(
        "select type, name, tbl_name, rootpage, sql from sqlite_master where tbl_name = 'results' "
        "and type = 'index' and sql is not null"
    ).fetchone()
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("delete from sqlite_master where name = ?", [index[1]])
    conn.commit()
    conn.close()
    conn = sqlite3.connect(db)
    conn.execute("update results set outcome = 'wrong_result' where rowid % 3 = 0")
    conn.commit()
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("insert into sqlite_master values (?, ?, ?, ?, ?)", index)
    conn.commit()
    conn.close()


def test_missing_index_rows_are_damage_not_a_wrong_report(tmp_path):
    db = tmp_path / "r.db"
    results_db(db, items=300)
    drop_index_rows(db)
    problems = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchall()
    assert problems != [("ok",)], problems  # the damage is real
    one_error_line(invoke("report", "--db", db), "is damaged", "PRAGMA integrity_check", ".recover")
    one_error_line(
        invoke("run", "--model", "gold", "--suite", TINY_SUITE, "--db", db, "--quiet"), "is damaged", ".recover"
    )


def test_a_text_file_is_still_not_a_results_database(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("just some notes\n" * 500)
    one_error_line(invoke("report", "--db", db), "is not a harness results database")


WRITER = textwrap.dedent(
    """
    import os, sys
    from harness.store import Store
    from tests.report_fixtures import add_run, outcomes
    store = Store(sys.argv[1])
    store.db.conn.execute("PRAGMA wal_autocheckpoint = 0")  # results stay in the WAL, as after a killed run
    add_run(store, "gold", outcomes("F1", {"correct": int(sys.argv[2])}))
    os._exit(0)  # no close, no checkpoint: the -wal and -shm files stay beside the database
    """
)


def wal_database(folder: Path, items: int) -> Path:
    folder.mkdir()
    db = folder / "results.db"
    subprocess.run([sys.executable, "-c", WRITER, str(db), str(items)], check=True, cwd=Path(__file__).parents[1])
    assert (folder / "results.db-wal").stat().st_size > 0
    return db


def report_read_only(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`harness report` with `folder` mounted read-only (a private mount namespace: nothing else sees it)."""
    script = (
        f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" "{folder}" && '
        f'exec "{sys.executable}" -m harness.cli.main report --db "{folder}/results.db" {" ".join(args)}'
    )
    return subprocess.run(
        [UNSHARE, "--user", "--map-root-user", "--mount", "sh", "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
    )


def can_mount_read_only(tmp_path: Path) -> bool:
    if UNSHARE is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    script = f'mount --bind "{probe}" "{probe}" && mount -o remount,bind,ro "{probe}" "{probe}" && ! touch "{probe}/x"'
    done = subprocess.run([UNSHARE, "--user", "--map-root-user", "--mount", "sh", "-c", script], capture_output=True)
    return done.returncode == 0


def test_a_read_only_database_with_its_wal_is_read_whole_or_refused(tmp_path):
    if not can_mount_read_only(tmp_path):
        pytest.skip("needs unshare with user and mount namespaces for a read-only mount")
    import json

    db = wal_database(tmp_path / "ro", items=800)
    whole = report_read_only(db.parent, "--format", "json")
    assert whole.returncode == 0, whole.stderr
    summary = json.loads(whole.stdout)["summary"][0]
    assert summary["n_scored"] == 800, summary  # every item in the WAL is seen
    (db.parent / "results.db-shm").unlink()  # without it SQLite cannot read the WAL in a read-only folder
    refused = report_read_only(db.parent)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "cannot be read whole" in errors[0] and "results.db-wal" in errors[0], refused.stderr


OPENER = textwrap.dedent(
    """
    import sys, time
    start = float(sys.argv[2])
    while time.time() < start:
        pass
    from harness.store import Store
    Store(sys.argv[1]).close()
    """
)


@pytest.mark.slow
def test_first_opens_of_a_new_database_at_once_do_not_race(tmp_path):
    for attempt in range(2):
        db = tmp_path / f"new{attempt}.db"
        start = time.time() + 2.0
        openers = [
            subprocess.Popen([sys.executable, "-c", OPENER, str(db), str(start)], stderr=subprocess.PIPE, text=True)
            for _ in range(5)
        ]
        failures = [p.communicate()[1] for p in openers if p.wait() != 0]
        assert not failures, failures[0]
        assert Store(db).runs() == []


HOLDER = textwrap.dedent(
    """
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("held", flush=True)
    time.sleep(60)
    """
)


def test_a_lock_message_names_the_holder_and_the_real_wait(tmp_path):
    db = tmp_path / "r.db"
    Store(db).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        from harness.errors import HarnessError

        started = time.monotonic()
        with pytest.raises(HarnessError) as raised:
            Store(db).create_run(model="gold", suite="x")
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    message = str(raised.value)
    assert f"pid {holder.pid}" in message and "running " in message, message
    assert 4.5 < waited < 8 and "waited 5." in message, (waited, message)
