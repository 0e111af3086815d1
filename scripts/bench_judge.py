#!/usr/bin/env python3
"""Benchmark judging against a plain sequential script: wall time, Neo4j CPU and client CPU per item.

Workload: every test item of a suite answered by its gold query with one extra space after the
first MATCH (same meaning, never textually identical, so every generated query really runs).
Variants, alternated within each repeat on one Neo4j (jvm backend, demo graph):

- `plain`: a 15-line sequential script (written below) that runs the gold and the generated
  query once each in one session and compares sorted rows: the reference;
- `fresh`: `harness run --model replay` on a fresh results database (gold rows computed);
- `warm`: the same on a database that already holds one such run (gold rows cached);
- `startup`: the same as `fresh` with `--limit 1`, so the harness's start-up CPU can be
  subtracted from its per-item figure.

Neo4j CPU is read from /proc for the JVM, client CPU from the child's rusage. Prints medians
over the repeats and the ratios the judge is held to.

    .venv/bin/python scripts/bench_judge.py [--suite demo] [--repeats 3] [--judge-workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_run import children_cpu_s, process_cpu_s

from harness.graph import provision
from harness.graph.csv_source import read_graph_folder
from harness.graph.driver import open_driver
from harness.graph.loader import load_graph
from harness.store import Store
from harness.suitegen.model import open_suite

PLAIN_SCRIPT = """\
import json, sys
from neo4j import GraphDatabase
uri, replay_path = sys.argv[1:3]
items = [json.loads(line) for line in open(replay_path)]
correct = 0
with GraphDatabase.driver(uri, auth=None) as driver, driver.session(default_access_mode="READ") as session:
    for item in items:
        gold = sorted(repr(list(r.values())) for r in session.run(item["gold"]))
        generated = sorted(repr(list(r.values())) for r in session.run(item["output"]))
        correct += gold == generated
print(correct)
"""
FIRST_MATCH = re.compile(r"\bMATCH\b")
VARIANTS = ("plain", "fresh", "warm", "startup")


def write_workload(suite, path: Path) -> int:
    """The replay file: each test item's gold query with one extra space after the first MATCH."""
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for item in suite.items("test"):
            output, changed = FIRST_MATCH.subn("MATCH ", item.cypher, count=1)
            if not changed:
                sys.exit(f"item {item.id}: gold query has no MATCH")
            out.write(json.dumps({"id": item.id, "output": output, "gold": item.cypher}) + "\n")
            n += 1
    return n


def measure(command: list[str], env: dict, jvm_pid: int) -> tuple[subprocess.CompletedProcess, dict]:
    neo4j_before, client_before = process_cpu_s(jvm_pid), children_cpu_s()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} failed: {done.stderr.strip()[-2000:]}")
    return done, {
        "wall_s": wall,
        "neo4j_cpu_s": process_cpu_s(jvm_pid) - neo4j_before,
        "client_cpu_s": children_cpu_s() - client_before,
    }


def harness_command(suite_folder: str, replay: Path, extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "harness.cli.main", "run", "--model", "replay", "--replay", str(replay)]
    return command + ["--suite", suite_folder, "--quiet", *extra]


def correct_of(db: Path, run_id: str) -> int:
    store = Store(db)
    try:
        return store.outcome_counts(run_id).get("correct", 0)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="demo")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--judge-workers", type=int, default=None, help="Passed to harness run (default: its own).")
    args = parser.parse_args()
    suite = open_suite(args.suite)
    folder = str(suite.folder)
    extra = ["--judge-workers", str(args.judge_workers)] if args.judge_workers else []
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ.setdefault("HARNESS_HOME", str(tmp))
        replay = tmp / "replay.jsonl"
        n = write_workload(suite, replay)
        plain_script = tmp / "plain.py"
        plain_script.write_text(PLAIN_SCRIPT)
        with provision.ephemeral("jvm") as instance:
            driver = open_driver(instance)
            load_graph(driver, read_graph_folder(), replace=True)
            driver.close()
            env = {**os.environ, "HARNESS_NEO4J": "uri", "NEO4J_URI": instance.uri}
            warm_db = tmp / "warm-template.db"

            def harness(db: Path, limit: list[str] = ()) -> dict:
                done, figures = measure(
                    harness_command(folder, replay, [*extra, *limit]), {**env, "HARNESS_DB": str(db)}, instance.pid
                )
                return {**figures, "correct": correct_of(db, done.stdout.strip())}

            harness(warm_db)  # warm-up (JIT, plan caches) that also fills the gold cache of the warm template
            for repeat in range(args.repeats):
                order = VARIANTS[repeat % len(VARIANTS) :] + VARIANTS[: repeat % len(VARIANTS)]
                for variant in order:
                    db = tmp / f"{variant}-{repeat}.db"
                    if variant == "plain":
                        done, figures = measure(
                            [sys.executable, str(plain_script), instance.uri, str(replay)], env, instance.pid
                        )
                        figures["correct"] = int(done.stdout.strip())
                    elif variant == "warm":
                        shutil.copy(warm_db, db)
                        figures = harness(db)
                    else:
                        figures = harness(db, ["--limit", "1"] if variant == "startup" else [])
                    runs[variant].append(figures)
    report(runs, n, args.repeats)


def report(runs: dict[str, list[dict]], n: int, repeats: int) -> None:
    med = {v: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for v, rs in runs.items()}
    print(f"{n} items, {repeats} alternating repeats after one warm-up; medians (min-max)")
    print(f"{'variant':<9}{'correct':>8}  {'wall s':>20}  {'Neo4j CPU ms/item':>20}  {'client CPU ms/item':>20}")
    for variant in ("plain", "fresh", "warm"):
        rs = runs[variant]

        def cell(key, scale=1.0, rs=rs):
            values = [r[key] * scale for r in rs]
            return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

        print(
            f"{variant:<9}{int(med[variant]['correct']):>8}  {cell('wall_s'):>20}"
            f"  {cell('neo4j_cpu_s', 1000 / n):>20}  {cell('client_cpu_s', 1000 / n):>20}"
        )
    startup = med["startup"]["client_cpu_s"]
    per_item = 1000 * (med["fresh"]["client_cpu_s"] - startup) / (n - 1)
    per_item_warm = 1000 * (med["warm"]["client_cpu_s"] - startup) / (n - 1)
    print(f"harness start-up CPU (run --limit 1): {startup:.2f} s")
    print(f"harness CPU per item excluding start-up: fresh {per_item:.2f} ms, warm {per_item_warm:.2f} ms (goal <= 2)")
    print(f"Neo4j CPU fresh / plain: {med['fresh']['neo4j_cpu_s'] / med['plain']['neo4j_cpu_s']:.2f} (goal <= 1.1)")
    print(f"wall plain / fresh: {med['plain']['wall_s'] / med['fresh']['wall_s']:.2f} (goal >= 1)")
    print(f"wall plain / warm: {med['plain']['wall_s'] / med['warm']['wall_s']:.2f} (goal >= 2)")


if __name__ == "__main__":
    main()
