"""Adapters as plugins: a separate package, installed with pip, adds an adapter the harness runs.

The package is tests/plugins/echo (`harness-echo-adapter`). It is installed with pip into a folder
of its own (`pip install --target`), which then goes on sys.path: the harness finds it through
its entry points exactly as it finds its own adapters, with no other help from the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.adapters import registry
from harness.store import Store

from .conftest import FIXTURES
from .kit import invoke, one_error_line

PLUGIN = Path(__file__).parent / "plugins" / "echo"
TINY_SUITE = FIXTURES / "tiny_suite"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """The echo plugin installed by pip (no index needed: its build backend is already installed)."""
    target = tmp_path_factory.mktemp("plugin-site")
    build = tmp_path_factory.mktemp("plugin-build")
    source = shutil.copytree(PLUGIN, build / "source")  # the build writes its egg-info beside the sources
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--target", str(target), str(source)],
        check=True,
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(build), "PIP_NO_CACHE_DIR": "1"},
    )
    return target


@pytest.fixture
def with_plugin(plugin_site, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin_site))
    registry.forget()
    yield plugin_site
    registry.forget()


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(folder))
    return folder


def test_built_in_adapters_register_through_the_entry_point_group():
    entries = registry.registered()
    assert {"gold", "replay", "retrieval", "endpoint", "llama_cpp", "gemini"} <= set(entries)
    own = {entry.dist for name, entry in entries.items() if name in ("gold", "llama_cpp", "gemini")}
    assert own == {"oncograph-harness"}
    assert entries["llama_cpp"].extras == ("llama",)
    assert entries["gold"].load().__name__ == "GoldAdapter"


def test_without_the_plugin_its_adapter_is_unknown_and_the_spec_names_the_package(models_dir):
    registry.forget()
    (models_dir / "echo.toml").write_text('adapter = "echo"\npackage = "harness-echo-adapter"\n')
    error = one_error_line(invoke("run", "--model", "echo", "--suite", TINY_SUITE))
    assert "unknown adapter 'echo'" in error and "pip install 'harness-echo-adapter'" in error


def test_a_plugin_adapter_runs_a_suite_and_is_listed_with_its_package(with_plugin, models_dir, tiny_graph, tmp_path):
    (models_dir / "echo.toml").write_text(
        'adapter = "echo"\ndescription = "from a plugin"\n[options]\nfence = "cypher"\n'
    )
    db = tmp_path / "plugin.db"
    result = invoke("run", "--model", "echo", "--suite", TINY_SUITE, "--db", db, "--quiet")
    assert result.exit_code == 0, result.output
    store = Store(db)
    (run,) = store.runs()
    counts = store.outcome_counts(run.id)
    items = [json.loads(line) for line in (TINY_SUITE / "items.jsonl").read_text().splitlines()]
    assert counts == {"correct": sum(1 for item in items if item["split"] == "test")}
    outputs = [g["output"] for g in store.generations(run.id)]
    assert outputs and all(o.startswith("Here it is:\n```cypher\n") for o in outputs)

    listing = invoke("models", "list", "--json")
    assert listing.exit_code == 0, listing.output
    rows = {row["name"]: row for row in json.loads(listing.output)}
    assert rows["echo"]["from"] == "harness-echo-adapter 0.1.0" and rows["echo"]["ready"]
    assert rows["gold"]["from"].startswith("oncograph-harness ")

    adapters = {row["adapter"]: row for row in json.loads(invoke("models", "adapters", "--json").output)}
    assert adapters["echo"]["from"] == "harness-echo-adapter 0.1.0" and adapters["echo"]["ready"]
    assert not adapters["echo_heavy"]["ready"]


def test_a_plugin_option_of_the_wrong_type_is_one_line(with_plugin, models_dir):
    (models_dir / "echo.toml").write_text('adapter = "echo"\n[options]\nfence = 3\n')
    one_error_line(invoke("run", "--model", "echo", "--suite", TINY_SUITE), "echo.toml", "option `fence`")


def test_a_missing_dependency_is_one_line_with_the_pip_install(with_plugin, models_dir):
    (models_dir / "heavy.toml").write_text('adapter = "echo_heavy"\n')
    error = one_error_line(invoke("run", "--model", "heavy", "--suite", TINY_SUITE))
    assert "adapter 'echo_heavy' (harness-echo-adapter 0.1.0) needs harness-echo-missing-dependency" in error
    assert "pip install 'harness-echo-missing-dependency>=1.0'" in error
    assert "pip install 'harness-echo-adapter[heavy]'" in error
