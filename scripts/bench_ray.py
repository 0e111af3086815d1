#!/usr/bin/env python3
"""Benchmark `harness run --ray`: items/s with 1 and 2 replicas against the same spec run locally,
Ray's overhead per item, the scaling efficiency, and a projection for N GPU nodes.

Starts what it measures on: a Neo4j (jvm backend) with the demo graph and a local two-node Ray
cluster (tests/ray_cluster.py; each node one CPU and one `replica_slot`, so 2 replicas land one per
node). Ray advertises the machine's address, so run it in a loopback-only network namespace (root):

    unshare -n sh -c 'ip link set lo up && .venv/bin/python scripts/bench_ray.py --sample 24 --seed 1'

Each configuration is the real CLI in a subprocess with a fresh results database. Throughput is
items / (finished_at - started_at) of the run row: the item phase, after the model has loaded (a
local run loads it in `check()`, Ray replicas before the run row is written). Ray's overhead per
item is measured directly: the driver's round trip to a replica less the replica's own time for the
item (`meta.ray.overhead_ms`), averaged over the items.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harness.graph import provision  # noqa: E402
from harness.graph.csv_source import read_graph_folder  # noqa: E402
from harness.graph.driver import open_driver  # noqa: E402
from harness.graph.loader import load_graph  # noqa: E402
from harness.store import Store  # noqa: E402
from tests.ray_cluster import in_loopback_namespace, local_cluster  # noqa: E402

HARNESS = [sys.executable, "-c", "from harness.cli.main import cli; cli()"]


def seconds(start: str, end: str) -> float:
    return (datetime.datetime.fromisoformat(end) - datetime.datetime.fromisoformat(start)).total_seconds()


def measure(env: dict, args: list[str], db: Path) -> dict:
    done = subprocess.run([*HARNESS, "run", *args, "--quiet", "--db", str(db)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"harness run {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    with Store(db) as store:
        run = store.get_run(done.stdout.strip())
        generations = list(store.generations(run.id))
        outcomes = {r["item_id"]: r["outcome"] for r in store.results(run.id)}
    overheads = [json.loads(g["meta"] or "{}").get("ray", {}).get("overhead_ms") for g in generations]
    overheads = [o for o in overheads if o is not None]
    wall = seconds(run.started_at, run.finished_at)
    return {
        "items": len(outcomes),
        "wall_s": wall,
        "items_per_s": len(outcomes) / wall,
        "s_per_item": wall / len(outcomes),
        "gen_ms_mean": statistics.mean(g["gen_ms"] for g in generations),
        "ray_overhead_ms": statistics.mean(overheads) if overheads else None,
        "outcomes": outcomes,
        "outputs": {g["item_id"]: g["output"] for g in generations},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smol")
    parser.add_argument("--sample", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--nodes", type=int, nargs="+", default=[4, 8, 16], help="GPU node counts to project")
    parser.add_argument("--items", type=int, default=800, help="items of the projected run (demo test split: 800)")
    options = parser.parse_args()
    if not in_loopback_namespace():
        sys.exit("run inside a loopback-only network namespace: unshare -n sh -c 'ip link set lo up && ...'")
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    models = work / "models"
    models.mkdir()
    spec = (REPO / "models" / f"{options.model}.toml").read_text()
    (models / f"{options.model}.toml").write_text(spec + "\n[resources]\nnum_cpus = 1\nreplica_slot = 1\n")
    common = ["--model", options.model, "--suite", str(REPO / "suites" / "demo")]
    common += ["--sample", str(options.sample), "--seed", str(options.seed)]
    os.environ["HARNESS_HOME"] = str(work / "home")
    with provision.ephemeral("jvm") as instance, local_cluster() as cluster:
        driver = open_driver(instance)
        load_graph(driver, read_graph_folder(), replace=True)
        driver.close()
        env = {**cluster.env, "HARNESS_NEO4J": "uri", "NEO4J_URI": instance.uri, "HARNESS_MODELS_DIR": str(models)}
        local = measure(env, common, work / "local.db")
        ray1 = measure(env, [*common, "--ray", cluster.address, "--replicas", "1"], work / "ray1.db")
        ray2 = measure(env, [*common, "--ray", cluster.address, "--replicas", "2"], work / "ray2.db")
    same = all(r["outcomes"] == local["outcomes"] and r["outputs"] == local["outputs"] for r in (ray1, ray2))
    print(
        f"{options.model}, {options.sample} items (--sample {options.sample} --seed {options.seed}), "
        f"{os.cpu_count()} cores; verdicts and outputs identical to the local run: {same}\n"
    )
    print("| configuration | items/s | s/item | Ray overhead/item (ms) | overhead vs local s/item |")
    print("|---|---|---|---|---|")
    for name, r in (("local (no Ray)", local), ("Ray, 1 replica", ray1), ("Ray, 2 replicas (2 nodes)", ray2)):
        overhead = r["ray_overhead_ms"]
        share = f"{overhead / (local['s_per_item'] * 1000):.2%}" if overhead is not None else "–"
        shown = f"{overhead:.1f}" if overhead is not None else "–"
        print(f"| {name} | {r['items_per_s']:.3f} | {r['s_per_item']:.2f} | {shown} | {share} |")
    efficiency = ray2["items_per_s"] / (2 * ray1["items_per_s"])
    print(
        f"\nscaling efficiency, 1 -> 2 replicas: {ray2['items_per_s']:.3f} / (2 x {ray1['items_per_s']:.3f}) "
        f"= {efficiency:.0%}"
    )
    per_replica = ray1["items_per_s"]
    print(
        f"\nprojection, one replica per GPU node, {options.items} items, from r = {per_replica:.3f} items/s per "
        f"replica (measured here, 1 replica) and efficiency e = {efficiency:.2f}:"
    )
    print("| nodes N | throughput N x r x e (items/s) | time for the run |")
    print("|---|---|---|")
    for nodes in options.nodes:
        throughput = nodes * per_replica * efficiency
        print(
            f"| {nodes} | {nodes} x {per_replica:.3f} x {efficiency:.2f} = {throughput:.2f} | "
            f"{options.items} / {throughput:.2f} = {options.items / throughput / 60:.1f} min |"
        )


if __name__ == "__main__":
    main()
