"""Ray is optional: without `--ray` the run path never imports it, and `--replicas` alone is a usage error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .kit import invoke, one_error_line

REPO = Path(__file__).resolve().parent.parent


def test_without_ray_the_run_path_never_imports_ray():
    check = (
        "import sys\nfrom harness.cli.main import cli\nimport harness.cli.run, harness.runner.session\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\nprint('ok')"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "ok", done.stderr


def test_replicas_without_ray_is_a_usage_error():
    one_error_line(invoke("run", "--model", "gold", "--replicas", "2"), "--replicas goes with --ray", exit_code=2)


def test_a_specs_resources_table_is_validated_and_read(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    (tmp_path / "bad.toml").write_text('adapter = "gold"\n[resources]\nnum_gpus = "one"\n')
    one_error_line(invoke("run", "--model", "bad"), "resource `num_gpus` must be a number >= 0")
    (tmp_path / "neg.toml").write_text('adapter = "gold"\n[resources]\nreplica_slot = -1\n')
    one_error_line(invoke("run", "--model", "neg"), "resource `replica_slot`")
    from harness.adapters.specs import load_spec

    (tmp_path / "gpu.toml").write_text('adapter = "gold"\n[resources]\nnum_gpus = 1\nnum_cpus = 4\nreplica_slot = 1\n')
    assert load_spec("gpu").resources == {"num_gpus": 1, "num_cpus": 4, "replica_slot": 1}


def test_replica_resources_come_from_the_spec_else_the_adapters_default():
    pytest.importorskip("ray")
    from harness.adapters.base import ModelSpec
    from harness.runner.ray_replicas import replica_resources

    gpu = ModelSpec("m", "llama_cpp", resources={"num_gpus": 1, "num_cpus": 4, "replica_slot": 1})
    assert replica_resources(gpu) == {"num_gpus": 1, "num_cpus": 4, "resources": {"replica_slot": 1}}
    assert replica_resources(ModelSpec("m", "llama_cpp", options={"n_threads": 2})) == {"num_cpus": 2}
    assert replica_resources(ModelSpec("m", "llama_cpp")) == {"num_cpus": 1}
    assert replica_resources(ModelSpec("m", "gemini")) == {"num_cpus": 0}
    assert replica_resources(ModelSpec("m", "gold")) == {"num_cpus": 1}
