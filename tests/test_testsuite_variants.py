"""Graph variants, distillation and test-suite judging on the tiny graph, in a scratch server.

The scratch server plays "the current server" here: variants are loaded into it and the
base graph must come back, after a normal end, Ctrl-C and kill -9.
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
from harness.graph.csv_source import read_graph_folder
from harness.graph.fingerprint import fingerprint
from harness.graph.loader import load_graph
from harness.testsuite.guards import GUARD_BASE
from harness.testsuite.server import marker_path
from harness.testsuite.variants import make_variant, write_graph_folder

from .conftest import FIXTURES, TINY_GRAPH

TINY_SUITE = FIXTURES / "tiny_suite"
DISTILL = ["--graph", str(TINY_GRAPH), "--variant-server", "current", "--candidates", "4", "--max-variants", "3"]


def invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


@pytest.fixture
def tiny(use_scratch_neo4j, scratch_driver):
    load_graph(scratch_driver, read_graph_folder(TINY_GRAPH), replace=True)
    return fingerprint(scratch_driver)


@pytest.fixture
def suite(tmp_path):
    folder = tmp_path / "tiny_suite"
    shutil.copytree(TINY_SUITE, folder)
    return folder


def test_variants_are_a_pure_function_of_graph_seed_and_index(tmp_path):
    base = read_graph_folder(TINY_GRAPH)
    first, again = make_variant(base, 7, 1), make_variant(base, 7, 1)
    assert vars(first) == vars(again)
    assert vars(make_variant(base, 7, 2)) != vars(first) and vars(make_variant(base, 8, 1)) != vars(first)
    assert vars(base) == vars(read_graph_folder(TINY_GRAPH))  # the base is not changed
    folder = write_graph_folder(first, tmp_path / "v1")
    back = read_graph_folder(folder)  # every check of `graph load` passes
    assert back.counts() == first.counts() and back.counts() != base.counts()
    names = {g["symbol"] for g in back.genes} - {g["symbol"] for g in base.genes}
    assert names and all(any(name.startswith(g["symbol"]) for g in base.genes) for name in names)  # near-duplicates


def test_distillation_is_deterministic_recorded_and_restores_the_base_graph(tiny, scratch_driver, suite):
    first = invoke("suite", "distill", suite, *DISTILL, "--json")
    assert first.exit_code == 0, first.output
    result = json.loads(first.stdout)
    assert fingerprint(scratch_driver) == tiny and not marker_path().exists()
    manifest = json.loads((suite / "manifest.json").read_text())
    section = manifest["test_suite"]
    distilled = [v for v in section["variants"] if v["index"] < GUARD_BASE]  # the filter guards come after
    assert section["variants"] == result["variants"] and 1 <= len(distilled) <= 3
    assert section["seed"] == 0 and section["base_fingerprint"] == tiny
    assert result["survivors"] > 0 and result["killed"] > 0
    # killed, shown equivalent and remaining split the survivors: no variant kills a shown equivalent
    assert result["killed"] + result["equivalent"] + len(result["remaining"]) == result["survivors"]
    assert sum(result["equivalent_by_rule"].values()) == result["equivalent"] == len(result["equivalent_mutants"])
    chosen = [c for c in result["candidates"] if c["chosen"]]
    assert all(c["golds_valid"] for c in chosen)
    assert result["killed"] >= max(c["kills"] for c in result["candidates"])  # greedy takes the best first
    second = invoke("suite", "distill", suite, *DISTILL, "--json")
    assert second.exit_code == 0, second.output
    again = json.loads(second.stdout)
    assert again["variants"] == result["variants"] and again["candidates"] == result["candidates"]
    other = json.loads(invoke("suite", "distill", suite, *DISTILL, "--seed", "5", "--json").stdout)
    assert [v["fingerprint"] for v in other["variants"]] != [v["fingerprint"] for v in result["variants"]]


def test_a_coincidentally_correct_query_passes_execution_and_fails_the_test_suite(
    tiny, scratch_driver, suite, tmp_path
):
    assert invoke("suite", "distill", suite, *DISTILL).exit_code == 0
    items = [json.loads(line) for line in (suite / "items.jsonl").read_text().splitlines()]
    # t3 without its disease filter: on the tiny graph cetuximab resistance is only in colorectal cancer
    outputs = {i["id"]: i["cypher"] for i in items if i["split"] == "test"}
    outputs["t3"] = outputs["t3"].replace(" AND toLower(r.disease_name) CONTAINS 'colorectal'", "")
    replay = tmp_path / "replay.jsonl"
    replay.write_text("".join(json.dumps({"id": k, "output": v}) + "\n" for k, v in outputs.items()))
    db = tmp_path / "r.db"
    result = invoke(
        "run",
        "--quiet",
        "--model",
        "replay",
        "--replay",
        replay,
        "--suite",
        suite,
        "--db",
        db,
        "--test-suite",
        "--variant-server",
        "current",
    )
    assert result.exit_code == 0, result.output
    run_id = result.stdout.strip()
    assert "test suite: 7/8 correct on every variant (8 on the base graph; 1 flipped)" in result.stderr
    assert fingerprint(scratch_driver) == tiny
    rows = (
        sqlite3.connect(db)
        .execute(
            "select item_id, variant_id, outcome from variant_results where run_id = ? and outcome != 'correct'",
            [run_id],
        )
        .fetchall()
    )
    assert {r[0] for r in rows} == {"t3"}
    report = invoke("report", "--db", db, "--format", "json")
    table = json.loads(report.stdout)["test_suite"][0]
    assert (table["execution_correct"], table["test_suite_correct"]) == (8, 7)
    assert table["flipped"][0]["item_id"] == "t3" and table["flipped"][0]["caught_by"]
    markdown = invoke("report", "--db", db).stdout
    assert "## Execution vs test-suite accuracy" in markdown and "| replay  | 8   | 100.0" in markdown
    gold = invoke(
        "run", "--quiet", "--model", "gold", "--suite", suite, "--db", db, "--test-suite", "--variant-server", "current"
    )
    assert gold.exit_code == 0, gold.output
    assert "test suite: 8/8 correct on every variant (8 on the base graph; 0 flipped)" in gold.stderr


def _big_suite(folder: Path, copies: int) -> None:
    lines = (folder / "items.jsonl").read_text().splitlines()
    items = [json.loads(line) for line in lines if json.loads(line)["split"] == "test"]
    with open(folder / "items.jsonl", "w") as handle:
        for copy in range(copies):
            for item in items:
                handle.write(
                    json.dumps({**item, "id": f"{item['id']}-{copy:04d}", "group_id": f"g{copy}-{item['id']}"}) + "\n"
                )


def _judging(suite: Path, db: Path, run_id: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "harness.cli.main",
        "rescore",
        run_id,
        "--quiet",
        "--test-suite",
        "--variant-server",
        "current",
    ]
    return subprocess.Popen(
        command, env={**os.environ, "HARNESS_DB": str(db)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_variant_verdicts(db: Path, process: subprocess.Popen, at_least: int) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if sqlite3.connect(db).execute("select count(*) from variant_results").fetchone()[0] >= at_least:
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.2)
    raise AssertionError(
        f"no variant verdicts in time: {process.poll()} {process.stderr.read() if process.poll() is not None else ''}"
    )


def test_base_graph_is_restored_after_ctrl_c_and_after_kill_9(tiny, scratch_driver, suite, tmp_path):
    assert invoke("suite", "distill", suite, *DISTILL).exit_code == 0
    _big_suite(suite, 60)
    # replayed gold queries with a comment: not the gold's text, so each one runs on each variant
    replay = tmp_path / "replay.jsonl"
    with open(replay, "w") as handle:
        for line in (suite / "items.jsonl").read_text().splitlines():
            item = json.loads(line)
            handle.write(json.dumps({"id": item["id"], "output": item["cypher"] + " // replayed"}) + "\n")
    db = tmp_path / "r.db"
    base_run = invoke("run", "--quiet", "--model", "replay", "--replay", replay, "--suite", suite, "--db", db)
    assert base_run.exit_code == 0, base_run.output
    run_id = base_run.stdout.strip()

    process = _judging(suite, db, run_id)
    _wait_for_variant_verdicts(db, process, 5)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) != 0
    stderr = process.stderr.read()
    assert fingerprint(scratch_driver) == tiny and not marker_path().exists(), stderr  # restored on Ctrl-C

    before = sqlite3.connect(db).execute("select count(*) from variant_results").fetchone()[0]
    process = _judging(suite, db, run_id)
    _wait_for_variant_verdicts(db, process, before + 5)
    process.kill()
    process.wait(timeout=60)
    assert marker_path().exists() and fingerprint(scratch_driver) != tiny  # a variant is still loaded
    # the next test-suite command restores the base graph first, then finishes the rescoring
    finished = invoke("rescore", run_id, "--db", db, "--test-suite", "--variant-server", "current")
    assert finished.exit_code == 0, finished.output
    assert "restoring the base graph from" in finished.stderr
    assert fingerprint(scratch_driver) == tiny and not marker_path().exists()


def test_the_row_cap_and_timeout_of_a_run_reach_variant_judging(tiny, scratch_driver, suite, tmp_path):
    """Variant verdicts go through judge_output under the run's Limits: a gold query replayed word for
    word is reused on the base graph, but on a variant where its rows outgrow --row-cap it is too_many_rows."""
    assert invoke("suite", "distill", suite, *DISTILL).exit_code == 0
    db = tmp_path / "r.db"
    gold_run = ["run", "--quiet", "--model", "gold", "--suite", suite, "--db", db, "--test-suite"]
    default = invoke(*gold_run, "--variant-server", "current")
    assert default.exit_code == 0, default.output
    connection = sqlite3.connect(db)
    grown = connection.execute(
        "select r.item_id, r.gold_row_count, max(v.gold_row_count) from results r join variant_results v "
        "on v.run_id = r.run_id and v.item_id = r.item_id where r.run_id = ? group by r.item_id "
        "having max(v.gold_row_count) > r.gold_row_count order by r.gold_row_count desc",
        [default.stdout.strip()],
    ).fetchall()
    assert grown, "no gold returns more rows on a variant than on the base graph"
    item_id, base_rows, _ = grown[0]
    capped = invoke(*gold_run, "--variant-server", "current", "--row-cap", base_rows, "--timeout", 7.5)
    assert capped.exit_code == 0, capped.output
    run_id = capped.stdout.strip()
    verdicts = connection.execute(
        "select v.item_id, v.outcome, v.gold_row_count from variant_results v where v.run_id = ?", [run_id]
    ).fetchall()
    assert {(i, o) for i, o, rows in verdicts if rows > base_rows} == {
        (i, "too_many_rows") for i, o, rows in verdicts if rows > base_rows
    }
    assert (item_id, "too_many_rows") in {(i, o) for i, o, _ in verdicts}
    assert all(o == "correct" for _, o, rows in verdicts if rows <= base_rows)
    options = json.loads(connection.execute("select options from runs where id = ?", [run_id]).fetchone()[0])
    assert (options["row_cap"], options["timeout_s"]) == (base_rows, 7.5)
    assert "flipped" in capped.stderr and fingerprint(scratch_driver) == tiny
