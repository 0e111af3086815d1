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
over the repeats, the ratios the judge is held to, and the floor of a warm run on this machine
(start-up wall, then per item the larger of the harness's own CPU, which one Python thread at
a time runs, and all CPU shared by the cores).

    .venv/bin/python scripts/bench_judge.py [--suite demo] [--repeats 3] [--judge-workers N]
        [--baseline-src DIR]   # also the harness of another checkout, e.g. `git worktree add --detach /tmp/base main`
        [--reuse-server]       # the `harness db up` server instead of a fresh one
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench_run import measure

from harness.graph import provision
from harness.graph.csv_source import read_graph_folder
from harness.graph.driver import open_driver
from harness.graph.instance import load_record
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
REPO = Path(__file__).resolve().parent.parent
CORES = os.cpu_count() or 1


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


def harness_command(suite_folder: str, replay: Path, extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "harness.cli.main", "run", "--model", "replay", "--replay", str(replay)]
    return command + ["--suite", suite_folder, "--quiet", *extra]


def correct_of(db: Path, run_id: str) -> int:
    store = Store(db)
    try:
        return store.outcome_counts(run_id).get("correct", 0)
    finally:
        store.close()


class Bench:
    """The variants of one sitting, each a function of the repeat number returning its figures."""

    def __init__(self, args, instance, tmp: Path):
        self.suite = open_suite(args.suite)
        self.tmp = tmp
        self.pid = instance.pid
        self.env = {**os.environ, "HARNESS_NEO4J": "uri", "NEO4J_URI": instance.uri}
        if args.judge_workers:  # an environment variable, so that a baseline without the option ignores it
            self.env["HARNESS_JUDGE_WORKERS"] = str(args.judge_workers)
        self.uri = instance.uri
        self.replay = tmp / "replay.jsonl"
        self.n = write_workload(self.suite, self.replay)
        self.plain_script = tmp / "plain.py"
        self.plain_script.write_text(PLAIN_SCRIPT)
        self.sources = {"": str(REPO)}
        if args.baseline_src:
            self.sources["-base"] = str(Path(args.baseline_src).resolve())
        self.warm_db = {tag: tmp / f"warm-template{tag}.db" for tag in self.sources}

    def variants(self) -> dict:
        variants = {"plain": self.plain}
        for tag in self.sources:
            variants[f"fresh{tag}"] = lambda repeat, tag=tag: self.harness(tag, f"fresh-{repeat}")
            variants[f"warm{tag}"] = lambda repeat, tag=tag: self.harness(tag, f"warm-{repeat}", warm=True)
        for tag in self.sources:
            variants[f"startup{tag}"] = lambda repeat, tag=tag: self.harness(tag, f"startup-{repeat}", limit=1)
        return variants

    def plain(self, repeat: int) -> dict:
        command = [sys.executable, str(self.plain_script), self.uri, str(self.replay)]
        done, figures = measure(command, self.env, self.pid)
        return {**figures, "correct": int(done.stdout.strip())}

    def harness(self, tag: str, name: str, *, warm: bool = False, limit: int | None = None) -> dict:
        db = self.tmp / f"{name}{tag}.db"
        if warm:
            shutil.copy(self.warm_db[tag], db)
        # from a neutral folder: `python -m` puts the working directory first on sys.path, which
        # would shadow the baseline's PYTHONPATH with this checkout when run from the repository
        env = {**self.env, "HARNESS_DB": str(db), "PYTHONPATH": self.sources[tag]}
        extra = ["--limit", str(limit)] if limit else []
        command = harness_command(str(self.suite.folder.resolve()), self.replay, extra)
        done, figures = measure(command, env, self.pid, cwd=self.tmp)
        return {**figures, "correct": correct_of(db, done.stdout.strip())}

    def warm_up(self) -> None:
        """JIT and plan caches for every variant; also fills the gold cache of each warm template."""
        self.plain(-1)
        for tag in self.sources:
            self.harness(tag, "warm-template")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="demo")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--judge-workers",
        type=int,
        default=None,
        help="HARNESS_JUDGE_WORKERS for harness run (default: its own choice).",
    )
    parser.add_argument(
        "--baseline-src", default=None, help="Also run the harness of this checkout (e.g. a `git worktree` of main)."
    )
    parser.add_argument(
        "--reuse-server", action="store_true", help="Use the `harness db up` server (its graph is replaced)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ.setdefault("HARNESS_HOME", str(tmp))
        with contextlib.ExitStack() as stack:
            instance = load_record() if args.reuse_server else stack.enter_context(provision.ephemeral("jvm"))
            if instance is None or not instance.alive() or not instance.pid:
                sys.exit("no local server from `harness db up` to reuse")
            driver = open_driver(instance)
            load_graph(driver, read_graph_folder(), replace=True)
            driver.close()
            bench = Bench(args, instance, tmp)
            bench.warm_up()
            variants = bench.variants()
            names = list(variants)
            runs: dict[str, list[dict]] = {name: [] for name in names}
            for repeat in range(args.repeats):
                shift = repeat % len(names)
                for name in names[shift:] + names[:shift]:  # alternate, so drifting load hits all variants alike
                    runs[name].append(variants[name](repeat))
    report(runs, bench.n, args.repeats)


def report(runs: dict[str, list[dict]], n: int, repeats: int) -> None:
    med = {v: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for v, rs in runs.items()}
    print(f"{n} items, {repeats} alternating repeats after one warm-up; medians (min-max)")
    print(f"{'variant':<12}{'correct':>8}  {'wall s':>20}  {'Neo4j CPU ms/item':>20}  {'client CPU ms/item':>20}")
    for variant, rs in runs.items():
        if variant.startswith("startup"):
            continue

        def cell(key, scale=1.0, rs=rs):
            values = [r[key] * scale for r in rs]
            return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

        print(
            f"{variant:<12}{int(med[variant]['correct']):>8}  {cell('wall_s'):>20}"
            f"  {cell('neo4j_cpu_s', 1000 / n):>20}  {cell('client_cpu_s', 1000 / n):>20}"
        )
    plain = med["plain"]
    for tag in ("", "-base"):
        if f"fresh{tag}" not in med:
            continue
        fresh, warm, startup = med[f"fresh{tag}"], med[f"warm{tag}"], med[f"startup{tag}"]
        per_item = {
            name: (run["client_cpu_s"] - startup["client_cpu_s"]) / (n - 1)
            for name, run in (("fresh", fresh), ("warm", warm))
        }
        print(f"harness{tag}:")
        print(
            f"  start-up (the same run with --limit 1): CPU {startup['client_cpu_s']:.2f} s, wall {startup['wall_s']:.2f} s"
        )
        print(
            f"  CPU per item excluding start-up: fresh {1000 * per_item['fresh']:.2f} ms, "
            f"warm {1000 * per_item['warm']:.2f} ms (goal <= 2)"
        )
        print(f"  Neo4j CPU fresh / plain: {fresh['neo4j_cpu_s'] / plain['neo4j_cpu_s']:.2f} (goal <= 1.1)")
        print(f"  wall plain / fresh: {plain['wall_s'] / fresh['wall_s']:.2f} (goal >= 1)")
        print(f"  wall plain / warm: {plain['wall_s'] / warm['wall_s']:.2f} (goal >= 2)")
        print_floor(n, startup["wall_s"], per_item["warm"], warm["neo4j_cpu_s"] / n, plain["wall_s"])
    bare = (plain["client_cpu_s"] + plain["neo4j_cpu_s"]) / 2 / CORES  # the plain script runs 2 queries per item
    print(
        f"any evaluator running the {n} generated queries once, at the plain script's CPU per query (client and "
        f"Neo4j, start-up included) on {CORES} cores: >= {bare:.2f} s (half the plain script: {plain['wall_s'] / 2:.2f} s)"
    )


def print_floor(n: int, startup_wall: float, harness_cpu: float, neo4j_cpu: float, plain_wall: float) -> None:
    """The least wall time a warm run can take here: start-up, then the harness's own CPU per item (one
    Python thread at a time runs it) or all CPU per item shared by the cores, whichever is larger."""
    per_item = max(harness_cpu, (harness_cpu + neo4j_cpu) / CORES)
    floor = startup_wall + n * per_item
    print(
        f"  floor of a warm run on {CORES} cores: start-up wall {startup_wall:.2f} s + {n} x max(harness CPU "
        f"{1000 * harness_cpu:.2f} ms, (harness CPU + Neo4j CPU {1000 * neo4j_cpu:.2f} ms) / {CORES}) = {floor:.2f} s;"
        f" 2x the plain script needs <= {plain_wall / 2:.2f} s"
    )


if __name__ == "__main__":
    main()
