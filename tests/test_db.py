"""Neo4j provisioning: `db up` reuse, `db down` cleanup, no orphans, backend errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from harness._util.process import pid_alive
from harness.cli.main import cli
from harness.graph import docker as docker_backend
from harness.graph import provision
from harness.graph.instance import Neo4jInstance, save_record
from harness.graph.jvm import ServerSettings
from harness.graph.version import DOCKER_IMAGE, LOCAL_IMAGE, MAVEN_ARTIFACT, NEO4J_VERSION


def wait_dead(pid: int, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.neo4j
@pytest.mark.slow
def test_db_up_is_reused_by_later_commands_and_db_down_leaves_no_process(monkeypatch):
    monkeypatch.setenv("HARNESS_NEO4J", "jvm")
    runner = CliRunner()
    up = runner.invoke(cli, ["db", "up"])
    assert up.exit_code == 0, up.output
    status = json.loads(runner.invoke(cli, ["db", "status", "--json"]).stdout)
    pid = status["pid"]
    try:
        assert status["running"] and status["version"] == NEO4J_VERSION
        again = runner.invoke(cli, ["db", "up"])
        assert again.exit_code == 0 and "reusing" in again.stderr
        assert again.stdout.strip() == up.stdout.strip()  # same server, same bolt URI
        info = runner.invoke(cli, ["graph", "info", "--json"])
        assert info.exit_code == 0, info.output
        assert json.loads(info.stdout)["uri"] == up.stdout.strip()
        assert "HARNESS_NEO4J_READY" in runner.invoke(cli, ["db", "logs"]).stdout
    finally:
        down = runner.invoke(cli, ["db", "down"])
    assert down.exit_code == 0
    assert wait_dead(pid), "the JVM survived db down"
    assert not os.path.exists(status["home"])
    assert runner.invoke(cli, ["db", "status"]).stdout.startswith("no Neo4j recorded")


@pytest.mark.neo4j
@pytest.mark.slow
def test_a_killed_parent_leaves_no_orphaned_jvm(tmp_path):
    script = (
        "import sys\n"
        "from harness.graph import provision\n"
        "instance, proc = provision.start_jvm(detached=False)\n"
        "print(instance.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "HARNESS_HOME": str(tmp_path)},
    )
    jvm_pid = int(parent.stdout.readline())
    assert pid_alive(jvm_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert wait_dead(jvm_pid), "the Neo4j JVM outlived its SIGKILLed parent"


def test_jvm_backend_without_java_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    result = CliRunner().invoke(cli, ["db", "up", "--neo4j", "jvm"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the jvm backend needs Java 17+")
    assert "Traceback" not in result.output


def test_jvm_backend_without_maven_names_the_fix(monkeypatch, tmp_path):
    java_bin = tmp_path / "bin"
    java_bin.mkdir()
    for tool in ("java", "javac"):
        real = subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        (java_bin / tool).symlink_to(os.path.realpath(real))
    monkeypatch.setenv("PATH", str(java_bin))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "empty-cache"))  # jars not cached: Maven is needed
    result = CliRunner().invoke(cli, ["db", "up", "--neo4j", "jvm"])
    assert result.exit_code == 1
    assert "needs Maven" in result.stderr


def test_docker_asked_for_without_an_engine_is_one_error_line(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    result = CliRunner().invoke(cli, ["db", "up", "--neo4j", "docker"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the docker backend was asked for but no Docker engine answers")


def test_a_recorded_container_with_the_engine_stopped_gives_one_error_line_per_command(monkeypatch):
    save_record(Neo4jInstance(backend="docker", uri="bolt://localhost:1", container_id="0123456789abcdef"))
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    status = CliRunner().invoke(cli, ["db", "status"])
    assert status.exit_code == 1 and status.stdout.startswith("not running (stale record)")
    info = CliRunner().invoke(cli, ["graph", "info"])
    assert info.exit_code == 1 and info.stderr.startswith("Error: no Neo4j is running")
    for command in (["db", "down"], ["db", "logs"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1, result.output
        assert "container 0123456789ab" in result.stderr and "Traceback" not in result.output
    assert CliRunner().invoke(cli, ["db", "status", "--json"]).exit_code == 1  # the record is kept for a retry


def test_the_image_is_the_official_one_unless_harness_neo4j_image_names_another(monkeypatch):
    assert docker_backend.neo4j_image() == DOCKER_IMAGE
    monkeypatch.setenv("HARNESS_NEO4J_IMAGE", LOCAL_IMAGE)
    spec = docker_backend.container_spec(ServerSettings(), password="pw-for-test", owner="db-up-1")
    assert spec["image"] == LOCAL_IMAGE != DOCKER_IMAGE and not LOCAL_IMAGE.startswith("neo4j:")
    assert spec["labels"] == {docker_backend.CONTAINER_LABEL: "db-up-1"}


def test_docker_engine_probe_and_container_configuration(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert docker_backend.engine_available() is False
    settings = ServerSettings(heap="768m", pagecache="256m", transaction_timeout="15s")
    env = docker_backend.container_env(settings)
    assert env["NEO4J_server_memory_heap_max__size"] == "768m"
    assert env["NEO4J_server_memory_pagecache_size"] == "256m"
    assert env["NEO4J_db_transaction_timeout"] == "15s"
    spec = docker_backend.container_spec(settings, password="pw-for-test", owner="one-shot-1")
    assert spec["image"] == DOCKER_IMAGE == f"neo4j:{NEO4J_VERSION}-community"
    assert spec["env"] == env and spec["port"] == 7687
    assert MAVEN_ARTIFACT.endswith(":" + NEO4J_VERSION)  # one pinned version for both backends


def test_auto_prefers_uri_then_docker_then_jvm(monkeypatch):
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:7687")
    assert provision.choose_backend("auto") == "uri"
    monkeypatch.delenv("NEO4J_URI")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert provision.choose_backend("auto") == "jvm"


def test_auto_with_nothing_available_names_all_three_ways(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    result = CliRunner().invoke(cli, ["db", "up"])
    assert result.exit_code == 1
    assert "NEO4J_URI" in result.stderr and "Docker" in result.stderr and "Java 17+ and Maven" in result.stderr


def test_server_settings_are_written_to_the_generated_config():
    lines = ServerSettings(heap="1g", pagecache="512m").config_lines(7999)
    assert "server.bolt.listen_address=127.0.0.1:7999" in lines
    assert "server.memory.pagecache.size=512m" in lines
    assert "dbms.security.auth_enabled=false" in lines
    assert any(line.startswith("db.transaction.timeout=") for line in lines)
