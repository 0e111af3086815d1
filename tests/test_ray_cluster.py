"""`harness run --ray` on a real two-node Ray cluster (tests/ray_cluster.py) with real SmolLM2 replicas,
judged on the real demo graph: the same verdicts as a local run, a driver killed with -9 resumed, the
second node killed mid-run, 4 shards merged, the shared rate budget against the loopback Gemini server.

Needs a network namespace with only loopback (`make test-ray` runs `unshare -n`); elsewhere the tests
are skipped, and failed under HARNESS_REQUIRE_RAY=1 (CI).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.store import Store

from .kit import invoke, one_error_line
from .ray_cluster import in_loopback_namespace, local_cluster, pid_alive
from .test_adapters_gemini import KEY, StubGemini

ANSWER = "MATCH (g:Gene) RETURN g.symbol LIMIT 1"


class AnyQuestionGemini(StubGemini):
    """The loopback Gemini server of test_adapters_gemini, answering any question (the demo suite's) alike."""

    def answer(self, model: str, prompt: str):
        with self.lock:
            self.calls.append({"model": model, "prompt": prompt, "at": time.monotonic()})
        body = {
            "candidates": [
                {"content": {"parts": [{"text": ANSWER}], "role": "model"}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 8, "totalTokenCount": 18},
            "modelVersion": f"{model}-001",
        }
        return 200, body, {}


pytestmark = [pytest.mark.ray, pytest.mark.slow]
REPO = Path(__file__).resolve().parent.parent
HARNESS = [sys.executable, "-c", "from harness.cli.main import cli; cli()"]
N_ITEMS = int(os.environ.get("HARNESS_RAY_TEST_ITEMS", "24"))  # fewer only to check on a crowded machine
SAMPLE = ["--suite", str(REPO / "suites" / "demo"), "--sample", str(N_ITEMS), "--seed", "1", "--quiet"]
RUN_TIMEOUT_S = 900


def _require_cluster_support() -> None:
    why = None
    try:
        import ray  # noqa: F401
    except ImportError:
        why = "Ray is not installed (pip install -e '.[ray]')"
    if why is None and not in_loopback_namespace():
        why = "not in a loopback-only network namespace (run `make test-ray`: unshare -n)"
    if why:
        if os.environ.get("HARNESS_REQUIRE_RAY") == "1":
            pytest.fail(f"Ray cluster tests required (HARNESS_REQUIRE_RAY=1) but {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def cluster():
    _require_cluster_support()
    with local_cluster() as started:
        yield started


@pytest.fixture(scope="module")
def env(cluster, neo4j_instance, smol_gguf, tmp_path_factory):
    """A driver's environment: the demo graph's server, a smol spec asking for one replica slot per node."""
    models = tmp_path_factory.mktemp("ray-models")
    spec = (REPO / "models" / "smol.toml").read_text()
    (models / "smol.toml").write_text(spec + "\n[resources]\nnum_cpus = 1\nreplica_slot = 1\n")
    home = tmp_path_factory.mktemp("ray-home")
    return {
        **cluster.env,
        "HARNESS_NEO4J": "uri",
        "NEO4J_URI": neo4j_instance.uri,
        "HARNESS_MODELS_DIR": str(models),
        "HARNESS_HOME": str(home),
    }


def harness(env: dict, *args, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [*HARNESS, *map(str, args)], env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def rows(db: Path, run_id: str) -> dict[str, tuple]:
    """Per item: (output, outcome, extracted query, attempts)."""
    with Store(db) as store:
        outputs = {g["item_id"]: g["output"] for g in store.generations(run_id)}
        return {
            r["item_id"]: (outputs.get(r["item_id"]), r["outcome"], r["extracted_query"], r["attempts"])
            for r in store.results(run_id)
        }


def wait_for_results(db: Path, count: int, process: subprocess.Popen, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-3000:]
        if db.exists():
            try:
                with Store(db) as store:
                    if store.db.execute("select count(*) from results").fetchone()[0] >= count:
                        return
            except Exception:
                pass
        time.sleep(0.5)
    raise AssertionError(f"fewer than {count} results after {timeout_s} s")


@pytest.fixture(scope="module")
def local_run(env, tmp_path_factory):
    db = tmp_path_factory.mktemp("local") / "local.db"
    done = harness(env, "run", "--model", "smol", *SAMPLE, "--db", db)
    return db, done.stdout.strip()


@pytest.fixture(scope="module")
def ray_run(env, cluster, tmp_path_factory):
    """A Ray run whose driver is killed with -9 after 6 items, then resumed from the same results.db."""
    db = tmp_path_factory.mktemp("ray") / "ray.db"
    args = ["run", "--model", "smol", *SAMPLE, "--db", db, "--ray", cluster.address, "--replicas", "2"]
    process = subprocess.Popen([*HARNESS, *map(str, args)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_results(db, 6, process)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    done = harness(env, *args, "--resume")
    assert "resumed" in done.stderr, done.stderr
    return db, done.stdout.strip()


def test_a_ray_run_has_the_local_runs_outputs_and_verdicts_item_by_item(local_run, ray_run):
    local, ray = rows(*local_run), rows(*ray_run)
    assert len(local) == len(ray) == N_ITEMS
    assert {k: v[:3] for k, v in ray.items()} == {k: v[:3] for k, v in local.items()}
    with Store(ray_run[0]) as store:
        run = store.get_run(ray_run[1])
        info = run.adapter_info
    assert run.status == "finished" and len(store_runs(ray_run[0])) == 1  # resumed: the same run
    assert info["ray"] == {
        "replicas": 2,
        "slots": 1,
        "resources": {"num_cpus": 1, "resources": {"replica_slot": 1}},
        "nodes": 2,
    }
    assert info["gguf_name"]  # the replica's own description of its model


def store_runs(db: Path) -> list:
    with Store(db) as store:
        return store.runs()


def test_four_ray_shards_merged_report_equal_the_unsharded_ray_run(env, cluster, ray_run, tmp_path):
    dbs = []
    for index in range(1, 5):
        db = tmp_path / f"shard{index}.db"
        harness(
            env,
            "run",
            "--model",
            "smol",
            *SAMPLE,
            "--db",
            db,
            "--ray",
            cluster.address,
            "--replicas",
            "2",
            "--shard",
            f"{index}/4",
        )
        dbs.append(db)
    merged = tmp_path / "merged.db"
    merged_id = harness(env, "results", "merge", *dbs, "-o", merged).stdout.strip()
    assert report(env, merged) == report(env, ray_run[0])  # all but ids, times and measured timings
    assert {k: v[:3] for k, v in rows(merged, merged_id).items()} == {k: v[:3] for k, v in rows(*ray_run).items()}


def report(env: dict, db: Path) -> dict:
    from .test_merge import strip

    return strip(json.loads(harness(env, "report", "--format", "json", "--db", db).stdout))


def test_replicas_share_one_rate_budget_against_the_loopback_gemini_server(env, cluster, loopback, tmp_path):
    """4 replicas of a gemini spec with rpm = 240 (4 slots each): together they keep to 4 requests a second."""
    stub = AnyQuestionGemini()
    try:
        models = tmp_path / "models"
        models.mkdir()
        (models / "g.toml").write_text(
            'adapter = "gemini"\n[options]\nmodel = "gemini-test"\nmode = "single_step"\n'
            f'base_url = "{stub.url}"\nrpm = 240\nbackoff_s = 0.01\n'
        )
        run_env = {**env, "HARNESS_MODELS_DIR": str(models), "GEMINI_API_KEY": KEY}
        db = tmp_path / "g.db"
        harness(run_env, "run", "--model", "g", *SAMPLE, "--db", db, "--ray", cluster.address, "--replicas", "4")
    finally:
        stub.close()
    times = sorted(call["at"] for call in stub.calls)
    assert len(times) == N_ITEMS
    interval = 60 / 240  # the budget's spacing of request starts, cluster-wide
    # Any 12 consecutive gaps at the server span at least 12 intervals, less 0.5 s for the hop from the budget
    # through a replica and the SDK to the server (on a crowded machine); 4 replicas each with its own limiter
    # would send 4 times as fast (12 gaps in ~0.75 s).
    spans = [times[i + 12] - times[i] for i in range(len(times) - 12)]
    assert min(spans) >= 12 * interval - 0.5, min(spans)
    assert times[-1] - times[0] >= (len(times) - 1) * interval - 0.5
    with Store(db) as store:
        run = store.runs()[0]
    assert run.status == "finished" and run.adapter_info["ray"]["replicas"] == 4


def test_the_second_node_killed_mid_run_loses_no_item_and_judges_none_twice(env, cluster, tmp_path):
    db = tmp_path / "killed.db"
    args = ["run", "--model", "smol", *SAMPLE, "--db", db, "--ray", cluster.address, "--replicas", "2"]
    process = subprocess.Popen(
        [*HARNESS, *map(str, args)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_for_results(db, 4, process)
    cluster.kill_node(1)
    _, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
    runs = store_runs(db)
    assert len(runs) == 1 and runs[0].status != "running", (runs, stderr[-2000:])
    if process.returncode != 0:  # nothing left to run: interrupted with the resume line, then --resume finishes
        assert runs[0].status == "interrupted" and "--resume" in stderr, stderr[-2000:]
        harness(env, *args, "--resume")
    assert process.returncode == 0 or store_runs(db)[0].status == "finished"
    results = rows(db, runs[0].id)
    assert len(results) == N_ITEMS and all(attempts == 1 for *_, attempts in results.values()), results
    assert store_runs(db)[0].status == "finished"


def test_with_no_replica_left_the_run_ends_interrupted_with_the_resume_line_and_resume_finishes(env, cluster, tmp_path):
    """One gemini replica that only the second node can hold: that node killed, nothing can run any more."""
    if len(cluster.alive()) < 2:
        cluster.start_second()
    stub = AnyQuestionGemini()
    stub.delay_s = 0.3
    try:
        models = tmp_path / "models"
        models.mkdir()
        (models / "g.toml").write_text(
            'adapter = "gemini"\n[options]\nmodel = "gemini-test"\nmode = "single_step"\n'
            f'base_url = "{stub.url}"\nrpm = 0\nmax_concurrency = 1\n[resources]\nnum_cpus = 0\nsecond_node = 1\n'
        )
        run_env = {**env, "HARNESS_MODELS_DIR": str(models), "GEMINI_API_KEY": KEY, "HARNESS_RAY_RECOVER_WAIT_S": "5"}
        db = tmp_path / "lost.db"
        args = ["run", "--model", "g", *SAMPLE, "--db", db, "--ray", cluster.address, "--replicas", "1"]
        process = subprocess.Popen(
            [*HARNESS, *map(str, args)], env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        wait_for_results(db, 3, process)
        cluster.alive()[-1].kill()
        _, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
        errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
        assert process.returncode == 1 and len(errors) == 1 and "Traceback" not in stderr, stderr[-3000:]
        assert "every Ray replica of 'g' is gone" in errors[0] and "--ray" in errors[0], errors[0]
        assert errors[0].endswith("--replicas 1 --resume`"), errors[0]
        assert store_runs(db)[0].status == "interrupted"
        cluster.start_second()
        harness(run_env, *args, "--resume")
    finally:
        stub.close()
    run = store_runs(db)[0]
    results = rows(db, run.id)
    assert run.status == "finished" and len(results) == N_ITEMS
    assert all(attempts == 1 for *_, attempts in results.values())  # nothing was recorded for the lost items


def test_the_cluster_fixture_stops_every_process_it_started_even_when_a_test_fails():
    _require_cluster_support()
    started: set[int] = set()
    with pytest.raises(RuntimeError, match="a failing test"), local_cluster() as cluster:
        started = cluster.pids()
        raise RuntimeError("a failing test")
    assert len(started) >= 4, started  # head: gcs, raylet, workers...; second node: raylet...
    time.sleep(1)
    assert not [pid for pid in started if pid_alive(pid)]


def test_a_cluster_that_is_not_there_is_one_error_line(use_neo4j):
    _require_cluster_support()
    result = invoke("run", "--model", "gold", *SAMPLE, "--ray", "127.0.0.1:1", "--db", "x.db")
    one_error_line(result, "no Ray cluster at 127.0.0.1:1")
