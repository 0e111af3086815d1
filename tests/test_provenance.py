"""Provenance: the model file's sha256 is checked against the spec's pin before a run starts
(cached by path, size, mtime and inode), and the run records the hash of the file it used.
Also the messages for a model_path that exists but is no GGUF file."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from harness.adapters import provenance
from harness.adapters.base import ModelSpec
from harness.adapters.llama_cpp import LlamaCppAdapter
from harness.errors import ModelUnavailable
from harness.store import Store

from .kit import invoke, one_error_line

WRONG = "0" * 64


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def spec(path, **options) -> ModelSpec:
    return ModelSpec(name="tiny", adapter="llama_cpp", options={"model_path": str(path), "n_threads": 1, **options})


def test_the_hash_is_cached_by_size_and_mtime_and_recomputed_when_the_file_changes(tmp_path, monkeypatch, cache):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"x" * 1000)
    first = provenance.cached_sha256(model)
    assert first == hashlib.sha256(model.read_bytes()).hexdigest()
    assert first in (cache / provenance.CACHE_NAME).read_text()

    calls = []
    real = provenance.sha256_file
    monkeypatch.setattr(provenance, "sha256_file", lambda path: calls.append(path) or real(path))
    assert provenance.cached_sha256(model) == first and not calls  # from the cache

    model.write_bytes(b"GGUF" + b"y" * 1000)  # same size, new content and mtime
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 10**9))
    assert provenance.cached_sha256(model) == hashlib.sha256(model.read_bytes()).hexdigest() != first
    assert len(calls) == 1

    (cache / provenance.CACHE_NAME).write_text("[" * 100_000)  # a damaged cache is ignored, not a traceback
    assert provenance.cached_sha256(model) == hashlib.sha256(model.read_bytes()).hexdigest()


def test_a_file_that_differs_from_its_pin_is_refused_before_loading(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)  # would fail to load: the pin is checked first
    with pytest.raises(ModelUnavailable, match=r"differs from the sha256 pinned in"):
        LlamaCppAdapter(spec(model, sha256=WRONG, isolate=False))._open()


def test_a_run_with_a_mismatching_file_is_one_error_line_and_leaves_no_run(tmp_path, monkeypatch, tiny_graph):
    models = tmp_path / "models"
    models.mkdir()
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    (models / "pinned.toml").write_text(
        f'adapter = "llama_cpp"\n[options]\nmodel_path = "{model}"\nsha256 = "{WRONG}"\nn_threads = 1\n'
    )
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(models))
    db = tmp_path / "r.db"
    result = invoke("run", "--model", "pinned", "--suite", "tests/fixtures/tiny_suite", "--quiet", "--db", db)
    one_error_line(result, "sha256", "differs from the sha256 pinned in", str(models / "pinned.toml"))
    if db.exists():
        assert Store(db).db.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_the_run_records_the_hash_of_the_file_it_loaded(tiny_gguf):
    actual = hashlib.sha256(tiny_gguf.read_bytes()).hexdigest()
    adapter = LlamaCppAdapter(spec(tiny_gguf, isolate=False))  # no pin: the hash is still recorded
    try:
        assert adapter.model_info()["model_sha256"] == actual
    finally:
        adapter.close()
    pinned = LlamaCppAdapter(spec(tiny_gguf, isolate=False, sha256=actual.upper()))
    try:
        assert pinned.model_info()["model_sha256"] == actual
    finally:
        pinned.close()


def test_a_truncated_gguf_is_not_reported_as_a_bad_grammar(tiny_gguf, tmp_path):
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(tiny_gguf.read_bytes()[:200])
    adapter = LlamaCppAdapter(spec(truncated, isolate=False, grammar_file="cypher_read.gbnf"))
    with pytest.raises(ModelUnavailable) as raised:
        adapter._open()
    assert "truncated or damaged GGUF" in str(raised.value) and "grammar" not in str(raised.value).split(":")[0]
    assert "not a valid GBNF grammar" not in str(raised.value)


@pytest.mark.parametrize("kind", ["directory", "fifo", "device"])
def test_a_path_that_exists_but_is_no_file_says_what_it_is(tmp_path, kind):
    if kind == "directory":
        path, words = tmp_path / "weights", "is a directory"
        path.mkdir()
    elif kind == "fifo":
        path, words = tmp_path / "pipe", "is a FIFO"
        os.mkfifo(path)
    else:
        path, words = "/dev/zero", "is a device"
    ready, why = LlamaCppAdapter.readiness(spec(path))
    assert not ready and words in why and "not found" not in why


def test_models_list_shows_the_reason(tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "z.toml").write_text('adapter = "llama_cpp"\n[options]\nmodel_path = "/dev/zero"\n')
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(models))
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.output
    row = next(r for r in json.loads(result.output) if r["name"] == "z")
    assert "is a device" in json.dumps(row)
