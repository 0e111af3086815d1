"""The `docker` backend against a real Docker engine through testcontainers.

Skipped when no engine answers (`bash .ci/run` starts one and builds the image, so CI runs them).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import docker
import pytest
from click.testing import CliRunner
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from harness.cli.main import cli
from harness.graph import docker as docker_backend
from harness.graph import provision
from harness.graph.version import NEO4J_VERSION
from harness.store import Store

pytestmark = pytest.mark.docker

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def wait_removed(container_id: str, timeout_s: float = 90) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if docker_backend.container_state(container_id) == "missing":
            return True
        time.sleep(0.5)
    return False


def run_model(model: str, db, *extra) -> tuple[str, dict[str, str]]:
    result = invoke("run", "--quiet", "--model", model, "--suite", "suites/demo", "--db", str(db), *extra)
    assert result.exit_code == 0, result.output
    run_id = result.stdout.strip()
    return run_id, {row["item_id"]: row["outcome"] for row in Store(db).results(run_id)}


def server_settings(instance, names: list[str]) -> dict[str, str]:
    with GraphDatabase.driver(instance.uri, auth=instance.auth) as driver:
        records, _, _ = driver.execute_query(
            "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value", names=names
        )
    return {record["name"]: record["value"] for record in records}


def test_db_up_docker_graph_load_and_gold_run_match_the_jvm_backend(
    use_docker, neo4j_instance, demo_fingerprint, tmp_path, monkeypatch
):
    monkeypatch.setenv("HARNESS_NEO4J_TX_TIMEOUT", "45s")
    up = invoke("db", "up", "--neo4j", "docker")
    assert up.exit_code == 0, up.output
    status = json.loads(invoke("db", "status", "--json").stdout)
    container_id = status["container_id"]
    try:
        assert status["running"] and status["backend"] == "docker" and status["version"] == NEO4J_VERSION
        container = docker.from_env().containers.get(container_id)
        assert container.image.tags and use_docker in container.image.tags
        volumes = [m["Name"] for m in container.attrs["Mounts"] if m["Type"] == "volume"]
        assert volumes, "the image keeps its data in volumes inside the container"
        assert invoke("db", "up").stderr.count("reusing") == 1

        instance = provision.current()
        wrong = GraphDatabase.driver(instance.uri, auth=("neo4j", "not-the-password"))
        with pytest.raises(AuthError), wrong:  # NEO4J_AUTH honoured: the random password is required
            wrong.verify_connectivity()
        settings = server_settings(instance, ["db.transaction.timeout", "server.memory.pagecache.size"])
        assert settings == {"db.transaction.timeout": "45s", "server.memory.pagecache.size": "512.00MiB"}

        load = invoke("graph", "load")
        assert load.exit_code == 0, load.output
        assert load.stdout.strip() == demo_fingerprint  # the jvm session server holds the same demo graph
        info = json.loads(invoke("graph", "info", "--json").stdout)
        assert info["backend"] == "docker" and info["neo4j_version"] == NEO4J_VERSION

        gold_id, gold = run_model("gold", tmp_path / "gold.db")
        store = Store(tmp_path / "gold.db")
        assert store.outcome_counts(gold_id) == {"correct": store.get_run(gold_id).n_planned}
        assert all(r["syntax_ok"] == r["exec_ok"] == r["match"] == 1 for r in store.results(gold_id))
        assert len(gold) >= 600

        _, on_docker = run_model("retrieval", tmp_path / "docker.db", "--limit", "120")
        logs = invoke("db", "logs", "-n", "2000")
        assert logs.exit_code == 0 and "Remote interface available at" in logs.stdout
    finally:
        down = invoke("db", "down")
    assert down.exit_code == 0, down.output
    assert docker_backend.container_state(container_id) == "missing"
    client = docker.from_env()
    assert not [v for v in volumes if v in {vol.name for vol in client.volumes.list()}], "db down left volumes"
    assert invoke("db", "status").stdout.startswith("no Neo4j recorded")

    monkeypatch.setenv("HARNESS_NEO4J", "uri")
    monkeypatch.setenv("NEO4J_URI", neo4j_instance.uri)
    _, on_jvm = run_model("retrieval", tmp_path / "jvm.db", "--limit", "120")
    assert on_docker == on_jvm  # the same verdict for every item, wrong answers included
    assert set(on_docker.values()) > {"correct"}


def test_auto_picks_docker_when_an_engine_answers(use_docker, monkeypatch):
    monkeypatch.delenv("HARNESS_NEO4J")
    assert provision.choose_backend("auto") == "docker"
    assert provision.choose_backend(None) == "docker"
    # an engine without the image (nothing can be pulled here) falls back to the jvm backend
    monkeypatch.setenv("HARNESS_NEO4J_IMAGE", "oncograph-harness/neo4j:no-such-tag")
    assert provision.choose_backend("auto") == "jvm"


def test_a_missing_image_is_one_error_line_and_leaves_nothing(use_docker, monkeypatch):
    monkeypatch.setenv(docker_backend.IMAGE_ENV, "oncograph-harness/no-such-image:0")
    before = docker_backend.harness_containers()
    result = invoke("db", "up", "--neo4j", "docker")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: the Neo4j image oncograph-harness/no-such-image:0 is not available locally and could not be pulled"
    )
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert docker_backend.harness_containers() == before
    assert invoke("db", "status").stdout.startswith("no Neo4j recorded")


def test_a_failing_test_leaves_no_container(use_docker, tmp_path):
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            """
            from harness.graph import provision

            def test_fails_while_a_container_runs():
                with provision.ephemeral("docker") as instance:
                    print("CONTAINER", instance.container_id)
                    assert instance.container_id is None
            """
        )
    )
    before = set(docker_backend.harness_containers())
    inner = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_inner.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": REPO},
    )
    started = re.search(r"CONTAINER (\w+)", inner.stdout)
    failed_as_planned = "assert instance.container_id is None" in inner.stdout and "1 failed" in inner.stdout
    assert inner.returncode == 1 and started and failed_as_planned, inner.stdout[-4000:] + inner.stderr[-2000:]
    assert started.group(1) not in before
    assert set(docker_backend.harness_containers()) == before


def test_a_killed_owner_leaves_no_container(use_docker, tmp_path):
    script = (
        "import sys\n"
        "from harness.graph import provision\n"
        "instance, handle = provision.start('docker', detached=False)\n"
        "print(instance.container_id, flush=True)\n"
        "sys.stdin.read()\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        container_id = owner.stdout.readline().strip()
        assert docker_backend.container_state(container_id) == "running"
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert wait_removed(container_id), "the container outlived its SIGKILLed owner"


def test_the_image_takes_any_password_neo4j_auth_names(use_docker):
    """The entry point's contract for NEO4J_AUTH, with a password an option parser could misread."""
    from testcontainers.community.neo4j import Neo4jContainer

    password = "-starts-with-a-dash"
    container = Neo4jContainer(use_docker, password=password).with_kwargs(
        labels={docker_backend.CONTAINER_LABEL: "test-auth"}
    )
    container.with_env("NEO4J_dbms_security_auth__minimum__password__length", "8")
    with container:
        with GraphDatabase.driver(container.get_connection_url(), auth=("neo4j", password)) as driver:
            records, _, _ = driver.execute_query(
                "SHOW SETTINGS YIELD name, value WHERE name = 'dbms.security.auth_minimum_password_length' RETURN value"
            )
        assert [r["value"] for r in records] == ["8"]  # `__` -> `_` and `_` -> `.` in setting names
