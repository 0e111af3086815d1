"""The sandbox in the docker backend: the container denies outside access by configuration, and a run
heals when the container is killed mid-run (the same container, data and Bolt address).

Skipped when no engine answers (`bash .ci/run` starts one and builds the image, so CI runs them).
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer

import docker
import pytest
from click.testing import CliRunner
from neo4j import GraphDatabase

from harness.cli.main import cli
from harness.graph import docker as docker_backend
from harness.graph import provision
from harness.store import Store

from .kit import QuietHandler
from .test_faults_neo4j_lost import count, load_tiny_graph
from .test_runner import big_suite
from .test_sandbox import SECRET, spellings

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def bridge_listener(hits: list[str]) -> ThreadingHTTPServer:
    """An HTTP server on the Docker bridge's host address: the one place on this host a container can reach."""
    config = docker.from_env().networks.get("bridge").attrs["IPAM"]["Config"][0]
    gateway = config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))

    class Recording(QuietHandler):
        def do_GET(self):
            hits.append(self.path)
            body = f"{SECRET},b\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((gateway, 0), Recording)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_container_denies_outside_access_and_heals_when_killed(use_docker, tmp_path):
    up = CliRunner().invoke(cli, ["db", "up", "--neo4j", "docker"])
    assert up.exit_code == 0, up.output
    instance = provision.current()
    hits: list[str] = []
    listener = None
    try:
        listener = bridge_listener(hits)
        load_tiny_graph(instance)
        url = f"http://{listener.server_address[0]}:{listener.server_address[1]}"
        with GraphDatabase.driver(instance.uri, auth=instance.auth) as driver:
            for query in spellings([f"{url}/direct", "file:///etc/passwd", "file:///var/lib/neo4j/conf/neo4j.conf"])[
                ::9
            ]:
                try:
                    rows = driver.execute_query(query).records
                except Exception as exc:  # the refusal
                    assert SECRET not in str(exc) and "root:" not in str(exc)
                    continue
                assert not rows, query
            settings = {
                r["name"]: r["value"]
                for r in driver.execute_query(
                    "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
                    names=["dbms.security.allow_csv_import_from_file_urls", "server.directories.import"],
                ).records
            }
            jvm = driver.execute_query(
                "CALL dbms.queryJmx('java.lang:type=Runtime') YIELD attributes "
                "RETURN attributes.InputArguments.value AS args"
            ).records[0]["args"]
        assert hits == []
        assert settings == {
            "dbms.security.allow_csv_import_from_file_urls": "false",
            "server.directories.import": docker_backend.EMPTY_IMPORT_DIR,
        }
        assert "-XX:+ExitOnOutOfMemoryError" in jvm and "-Dhttp.proxyPort=1" in jvm and "-Dhttp.nonProxyHosts=" in jvm

        suite = big_suite(tmp_path, copies=300)
        items = [json.loads(line) for line in (suite / "items.jsonl").read_text().splitlines()]
        replay = tmp_path / "replay.jsonl"
        replay.write_text("".join(json.dumps({"id": i["id"], "output": i["cypher"]}) + "\n" for i in items))
        db = tmp_path / "r.db"
        command = ["run", "--model", "replay", "--replay", str(replay), "--suite", str(suite), "--db", str(db)]
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.cli.main", *command, "--concurrency", "1", "--quiet"],
            env={**os.environ},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 180
        while count(db, "results") < 50 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        docker.from_env().containers.get(instance.container_id).kill()
        _, stderr = process.communicate(timeout=400)
        assert process.returncode == 0 and "Traceback" not in stderr, stderr
        run = Store(db).runs()[0]
        assert run.status == "finished" and Store(db).outcome_counts(run.id) == {"correct": 2400}, run
        assert provision.current().uri == instance.uri  # the same container answers at the same address
    finally:
        if listener is not None:
            listener.shutdown()
            listener.server_close()
        down = CliRunner().invoke(cli, ["db", "down"])
    assert down.exit_code == 0, down.output
