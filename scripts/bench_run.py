#!/usr/bin/env python3
"""Benchmark `harness run --model gold`: whole-process items/s and harness vs Neo4j time per item.

Starts its own Neo4j (jvm backend) with the demo graph, then runs the real CLI as a
subprocess N times, each with a fresh results database (so gold queries run too).
Harness time is the CPU time of the `harness run` process; Neo4j time is the CPU time
the Neo4j JVM spent during that run (from /proc). Prints medians over the repeats.

    .venv/bin/python scripts/bench_run.py [--suite demo] [--repeats 5] [--concurrency N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.graph import provision
from harness.graph.csv_source import read_graph_folder
from harness.graph.driver import open_driver
from harness.graph.loader import load_graph
from harness.store import Store
from harness.suitegen.model import open_suite

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    command: list[str], env: dict, jvm_pid: int, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess, dict]:
    """Run `command`; its wall time, its CPU time, and the CPU time the Neo4j JVM spent meanwhile."""
    neo4j_before, client_before = process_cpu_s(jvm_pid), children_cpu_s()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} failed: {done.stderr.strip()[-2000:]}")
    return done, {
        "wall_s": wall,
        "neo4j_cpu_s": process_cpu_s(jvm_pid) - neo4j_before,
        "client_cpu_s": children_cpu_s() - client_before,
    }


def one_run(uri: str, suite: str, jvm_pid: int, concurrency: int | None, workdir: Path) -> dict:
    db = workdir / f"bench-{time.monotonic_ns()}.db"
    env = {**os.environ, "HARNESS_NEO4J": "uri", "NEO4J_URI": uri, "HARNESS_DB": str(db)}
    command = [sys.executable, "-m", "harness.cli.main", "run", "--model", "gold", "--suite", suite, "--quiet"]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    done, figures = measure(command, env, jvm_pid)
    wall, neo4j_cpu, harness_cpu = figures["wall_s"], figures["neo4j_cpu_s"], figures["client_cpu_s"]
    store = Store(db)
    run_id = done.stdout.strip()
    counts = store.outcome_counts(run_id)
    items = sum(counts.values())
    return {
        "items": items,
        "correct": counts.get("correct", 0),
        "wall_s": wall,
        "items_per_s": items / wall,
        "harness_cpu_ms_per_item": 1000 * harness_cpu / items,
        "neo4j_cpu_ms_per_item": 1000 * neo4j_cpu / items,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="demo")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args()
    suite = open_suite(args.suite)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("HARNESS_HOME", tmp)
        with provision.ephemeral("jvm") as instance:
            driver = open_driver(instance)
            load_graph(driver, read_graph_folder(), replace=True)
            driver.close()
            one_run(instance.uri, str(suite.folder), instance.pid, args.concurrency, Path(tmp))  # warm-up (JIT, caches)
            runs = [
                one_run(instance.uri, str(suite.folder), instance.pid, args.concurrency, Path(tmp))
                for _ in range(args.repeats)
            ]
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    print(
        f"suite {suite.name}: {runs[0]['items']} items, {runs[0]['correct']} correct; {args.repeats} runs after one warm-up"
    )
    print(f"{'metric':<28}{'median':>10}{'min':>10}{'max':>10}")
    for key in ("wall_s", "items_per_s", "harness_cpu_ms_per_item", "neo4j_cpu_ms_per_item"):
        values = [r[key] for r in runs]
        print(f"{key:<28}{median[key]:>10.2f}{min(values):>10.2f}{max(values):>10.2f}")
    print(
        f"{'harness/neo4j CPU ratio':<28}{median['harness_cpu_ms_per_item'] / median['neo4j_cpu_ms_per_item']:>10.2f}"
    )


if __name__ == "__main__":
    main()
