#!/usr/bin/env python3
"""Kill Neo4j during `harness run` and count what happens after: model calls, seconds to exit.

Starts its own Neo4j (jvm backend) with the demo graph, runs `harness run --model replay` on the
demo suite's test split (replay outputs that are not the gold, so every item needs Neo4j) in a
subprocess, SIGKILLs the JVM once `--kill-after` items are judged, and prints per repeat: items
judged at the kill, model calls (generations recorded) after it, outcomes, seconds from kill to exit.

    .venv/bin/python scripts/bench_neo4j_loss.py [--repeats 3] [--kill-after 100] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
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

OUTPUT = "MATCH (g:Gene) RETURN g.symbol AS symbol ORDER BY symbol LIMIT 5"


def count(db: Path, table: str) -> int:
    try:
        return sqlite3.connect(db).execute(f"select count(*) from {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def once(work: Path, replay: Path, kill_after: int, concurrency: int) -> dict:
    db = work / f"r{time.monotonic_ns()}.db"
    with provision.ephemeral("jvm") as server:
        driver = open_driver(server)
        load_graph(driver, read_graph_folder(), replace=True)
        driver.close()
        env = {**os.environ, "HARNESS_NEO4J": "uri", "NEO4J_URI": server.uri, "HARNESS_DB": str(db)}
        command = ["run", "--model", "replay", "--replay", str(replay), "--suite", "demo", "--quiet"]
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.cli.main", *command, "--concurrency", str(concurrency)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while count(db, "results") < kill_after and process.poll() is None:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)
        killed_at, generated = time.monotonic(), count(db, "generations")
        _, stderr = process.communicate(timeout=600)
        exit_s = time.monotonic() - killed_at
    run = Store(db).runs()[0]
    return {
        "judged_at_kill": generated,
        "model_calls_after_kill": count(db, "generations") - generated,
        "exit_s": exit_s,
        "rc": process.returncode,
        "status": run.status,
        "outcomes": Store(db).outcome_counts(run.id),
        "stderr_lines": len([line for line in stderr.splitlines() if line.strip()]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--kill-after", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("HARNESS_HOME", tempfile.mkdtemp(prefix="bench-home-"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        replay = work / "replay.jsonl"
        ids = [item.id for item in open_suite("demo").items("test")]
        replay.write_text("".join(json.dumps({"id": i, "output": OUTPUT}) + "\n" for i in ids))
        rows = [once(work, replay, args.kill_after, args.concurrency) for _ in range(args.repeats)]
    for row in rows:
        print(json.dumps(row))
    print(
        f"{len(ids)} items, concurrency {args.concurrency}: model calls after the kill median "
        f"{statistics.median(r['model_calls_after_kill'] for r in rows)}, max "
        f"{max(r['model_calls_after_kill'] for r in rows)}; kill to exit median "
        f"{statistics.median(r['exit_s'] for r in rows):.2f} s"
    )


if __name__ == "__main__":
    main()
