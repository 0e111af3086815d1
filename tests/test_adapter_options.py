"""Typed adapter options: a wrong type, an unknown key or an out-of-range value is one `Error:` line
naming the spec file and the key, when the spec is loaded, before any model, server or item is touched."""

from __future__ import annotations

import pytest

from harness.adapters.base import ModelSpec
from harness.adapters.endpoint import EndpointAdapter

from .kit import invoke, one_error_line

BAD_OPTIONS = [
    # (adapter, options TOML, the key the error must name)
    ("llama_cpp", 'n_gpu_layers = "many"', "n_gpu_layers"),
    ("llama_cpp", 'n_threads = "x"', "n_threads"),
    ("llama_cpp", "n_ctx = 100000000000", "n_ctx"),
    ("llama_cpp", 'n_ctx = "big"', "n_ctx"),
    ("llama_cpp", 'max_tokens = "lots"', "max_tokens"),
    ("llama_cpp", "max_tokens = -5", "max_tokens"),
    ("llama_cpp", "stop = 5", "stop"),
    ("llama_cpp", 'temperature = "hot"', "temperature"),
    ("llama_cpp", "n_ctx = 512\nmax_tokens = 600", "max_tokens (600) must be below n_ctx (512)"),
    ("llama_cpp", "colour = 1", "unknown option `colour`"),
    ("endpoint", 'max_concurrency = "eight"', "max_concurrency"),
    ("endpoint", "max_concurrency = -3", "max_concurrency"),
    ("endpoint", "timeout_s = -1", "timeout_s"),
    ("endpoint", 'extra_body = "x"', "extra_body"),
    ("gemini", 'model = "gemini-2.0-flash"\nrpm = "fast"', "rpm"),
    ("gemini", 'model = "gemini-2.0-flash"\nrpm = "15"', "rpm"),
    ("gemini", 'model = "gemini-2.0-flash"\nmode = "three_step"', "mode"),
    ("gemini", "rpm = 15", "model"),
    ("replay", "file = 3", "file"),
    ("retrieval", 'split = "test"', "split"),
]


@pytest.fixture
def models(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(folder))
    return folder


@pytest.mark.parametrize(("adapter", "options", "key"), BAD_OPTIONS)
def test_a_bad_option_is_one_error_line_naming_the_file_and_key(models, adapter, options, key):
    (models / "bad.toml").write_text(f'adapter = "{adapter}"\n[options]\n{options}\n')
    line = one_error_line(invoke("run", "--model", "bad", "--quiet"), str(models / "bad.toml"), key)
    assert "Traceback" not in line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("adapter = 5\n", "`adapter` must be a name, one of"),
        ('adapter = "llama"\n', "unknown adapter 'llama' (installed: endpoint, gemini, gold, llama_cpp"),
        ("[options]\nx = 1\n", "missing `adapter"),
        ('adapter = "gold"\ncolour = "red"\n', "unknown key(s) colour"),
        ('adapter = "gold"\ndescription = 3\n', "`description` must be a string"),
    ],
)
def test_a_bad_spec_file_is_one_error_line(models, text, message):
    (models / "bad.toml").write_text(text)
    one_error_line(invoke("run", "--model", "bad"), message)


def test_one_broken_spec_does_not_hide_the_others_in_models_list(models):
    (models / "latin1.toml").write_bytes('adapter = "gold"\ndescription = "caf\xe9"\n'.encode("latin-1"))
    (models / "typo.toml").write_text('adapter = "endpoint"\n[options]\nmax_concurrency = "eight"\n')
    (models / "fine.toml").write_text('adapter = "gold"\n')
    result = invoke("models", "list")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[2:] if line.strip()}
    assert " yes " in lines["fine"] and "not UTF-8" in lines["latin1"] and "max_concurrency" in lines["typo"]
    one_error_line(invoke("run", "--model", "latin1"), "not UTF-8")


def test_valid_options_arrive_typed_with_defaults():
    spec = ModelSpec(name="e", adapter="endpoint", options={"max_concurrency": 3, "temperature": 1})
    adapter = EndpointAdapter(spec)
    assert adapter.options.max_concurrency == 3 and adapter.max_concurrency == 3
    assert adapter.options.temperature == 1.0 and isinstance(adapter.options.temperature, float)
    assert adapter.options["timeout_s"] == 120.0  # dict-style reads see the same typed values
