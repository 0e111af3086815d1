"""Shared fixtures: real Neo4j servers started once per test session, hermetic state per test.

`neo4j_instance` always holds the bundled demo graph; tests must not change it.
Tests that load other graphs use `scratch_neo4j`, a second server of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.graph import provision
from harness.graph.csv_source import read_graph_folder
from harness.graph.driver import open_driver
from harness.graph.fingerprint import fingerprint
from harness.graph.loader import load_graph
from harness.store import Store

from .kit import LoopbackServer
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
    "llama": {"tiny_gguf"},
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
