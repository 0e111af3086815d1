"""The whole path with a real model: `harness run` on a llama.cpp GGUF spec, judged on the real graph."""

from __future__ import annotations

from click.testing import CliRunner

from harness.cli.main import cli
from harness.store import Store
from harness.verdict import Outcome


def test_run_a_gguf_spec_end_to_end_with_the_read_only_grammar(use_neo4j, tiny_gguf, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "tiny.toml").write_text(
        'adapter = "llama_cpp"\ndescription = "tiny random-weight Qwen3 GGUF"\n[options]\n'
        f'model_path = "{tiny_gguf}"\nsystem_prompt_file = "ft_system_prompt.txt"\n'
        'grammar_file = "cypher_read.gbnf"\nmax_tokens = 300\nn_threads = 1\n'
    )
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(models))
    db = tmp_path / "r.db"
    result = CliRunner().invoke(
        cli, ["run", "--model", "tiny", "--suite", "suites/demo", "--limit", "4", "--quiet", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    store = Store(db)
    run = store.get_run(result.stdout.strip())
    rows = list(store.results(run.id))
    assert len(rows) == 4 and all(Outcome.is_scored(r["outcome"]) for r in rows)
    assert all(
        r["syntax_ok"] == 1 and r["output_tokens"] > 0 and r["prompt_tokens"] > 0 for r in rows
    )  # the grammar held
    info = run.adapter_info
    assert len(info["chat_template_sha256"]) == 64
    assert run.model_spec["options"]["system_prompt_file"] == "ft_system_prompt.txt"
    assert run.fingerprint_after == run.graph_fingerprint
