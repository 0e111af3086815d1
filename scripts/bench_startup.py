#!/usr/bin/env python3
"""Benchmark a cold start: `harness db up` + `harness graph load` (demo graph), jars already cached.

Each repeat uses a fresh state folder, so nothing but the Maven jar cache is reused.
Prints the median and range over the repeats, and the Neo4j memory settings used.

    .venv/bin/python scripts/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from harness.graph.jvm import ServerSettings, ensure_runtime


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[2:])} failed: {done.stderr.strip()}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ensure_runtime()  # resolve jars once; the benchmark measures a cached cold start
    harness = [sys.executable, "-m", "harness.cli.main"]
    rows = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "HARNESS_HOME": home, "HARNESS_NEO4J": "jvm"}
            env.pop("NEO4J_URI", None)
            try:
                up = timed(harness + ["db", "up"], env)
                load = timed(harness + ["graph", "load"], env)
            finally:
                subprocess.run(harness + ["db", "down"], env=env, capture_output=True)
            rows.append((up, load, up + load))
    settings = ServerSettings()
    print(f"Neo4j heap {settings.heap}, page cache {settings.pagecache}; {args.repeats} cold starts")
    print(f"{'step':<22}{'median s':>10}{'min':>8}{'max':>8}")
    for index, name in enumerate(("db up", "graph load (demo)", "total")):
        values = [row[index] for row in rows]
        print(f"{name:<22}{statistics.median(values):>10.1f}{min(values):>8.1f}{max(values):>8.1f}")


if __name__ == "__main__":
    main()
