#!/usr/bin/env python3
"""Benchmark a cold start: `harness db up` + `harness graph load` (demo graph), jars or image already local.

Each repeat uses a fresh state folder (and, for docker, a fresh container), so nothing but the Maven
jar cache or the local image is reused. With several backends, each repeat runs them in turn, so a
noisy machine affects them alike. Prints the median and range per backend and the memory settings.

    .venv/bin/python scripts/bench_startup.py [--repeats 5] [--backends jvm,docker]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from harness.graph.docker import neo4j_image
from harness.graph.jvm import ServerSettings, ensure_runtime


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[2:])} failed: {done.stderr.strip()}")
    return time.perf_counter() - started


def cold_start(harness: list[str], backend: str) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HARNESS_HOME": home, "HARNESS_NEO4J": backend}
        env.pop("NEO4J_URI", None)
        try:
            up = timed(harness + ["db", "up"], env)
            load = timed(harness + ["graph", "load"], env)
        finally:
            subprocess.run(harness + ["db", "down"], env=env, capture_output=True)
    return up, load, up + load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", default="jvm", help="comma-separated, run in turn: jvm,docker")
    args = parser.parse_args()
    backends = args.backends.split(",")
    if "jvm" in backends:
        ensure_runtime()  # resolve jars once; the benchmark measures a cached cold start
    harness = [sys.executable, "-m", "harness.cli.main"]
    rows: dict[str, list[tuple[float, float, float]]] = {backend: [] for backend in backends}
    for _ in range(args.repeats):
        for backend in backends:
            rows[backend].append(cold_start(harness, backend))
    settings = ServerSettings()
    image = f", image {neo4j_image()}" if "docker" in backends else ""
    print(f"Neo4j heap {settings.heap}, page cache {settings.pagecache}{image}; {args.repeats} cold starts per backend")
    print(f"{'backend':<9}{'step':<22}{'median s':>10}{'min':>8}{'max':>8}")
    for backend, runs in rows.items():
        for index, name in enumerate(("db up", "graph load (demo)", "total")):
            values = [row[index] for row in runs]
            print(f"{backend:<9}{name:<22}{statistics.median(values):>10.1f}{min(values):>8.1f}{max(values):>8.1f}")


if __name__ == "__main__":
    main()
