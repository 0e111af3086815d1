"""`harness train` without torch: the data it trains on, the spec it writes, and the inputs it refuses."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from harness.adapters.specs import read_spec_file
from harness.cli.main import cli
from harness.suitegen.model import open_suite
from harness.train.card import ANSWER_MARGIN, spec_text, trained_options
from harness.train.data import load_training_data
from harness.train.loop import Hyperparameters, learning_rate


def test_training_data_is_the_train_split_with_whole_groups_held_out():
    data = load_training_data("suites/demo", "ft_system_prompt.txt", validation_fraction=0.1, seed=0)
    suite = open_suite("suites/demo")
    train_ids = {item.id for item in suite.items(split="train")}
    used = [e.id for e in data.train + data.validation]
    assert sorted(used) == sorted(train_ids)  # every train item once, no test item
    assert {e.group_id for e in data.train}.isdisjoint({e.group_id for e in data.validation})
    assert 0.05 < len(data.validation) / len(used) < 0.2
    system = Path("harness/adapters/prompts/ft_system_prompt.txt").read_bytes().decode("utf-8")
    first = data.train[0].messages
    assert [m["role"] for m in first] == ["system", "user", "assistant"]
    assert first[0]["content"] == system  # byte for byte, the prompt the spec will send
    again = load_training_data("suites/demo", "ft_system_prompt.txt", validation_fraction=0.1, seed=0)
    assert again.data_hash() == data.data_hash()
    other = load_training_data("suites/demo", "ft_system_prompt.txt", validation_fraction=0.1, seed=1)
    assert other.data_hash() != data.data_hash()  # another seed holds out other groups


def test_learning_rate_warms_up_then_decays_to_zero():
    hp = Hyperparameters(learning_rate=1e-3, warmup_steps=4)
    rates = [learning_rate(step, 20, hp) for step in range(20)]
    assert rates[0] == 2.5e-4 and rates[3] == 1e-3
    assert all(a >= b for a, b in zip(rates[3:], rates[4:])) and rates[-1] < 1e-4


def test_trained_spec_is_a_loadable_llama_cpp_spec_with_a_card(tmp_path):
    class Base:
        name, kind, path, sha256 = "smol", "gguf", tmp_path / "b.gguf", "ab" * 32
        spec = type("Spec", (), {"options": {"pypi_wheel": "w==1", "grammar_file": "g.gbnf", "n_ctx": 2048}})()

    options = trained_options(
        Base, "ft_system_prompt.txt", {"lora_path": "x.lora.gguf", "lora_sha256": "cd" * 32}, tmp_path
    )
    card = {"base": "smol", "suite": "demo", "hyperparameters": {"lora_r": 16, "learning_rate": 0.001}, "steps": 3}
    path = tmp_path / "x.toml"
    path.write_text(spec_text('a "quoted" description', options, card))
    spec = read_spec_file(path)
    assert spec.adapter == "llama_cpp" and spec.description == 'a "quoted" description'
    assert spec.options == {
        "pypi_wheel": "w==1",
        "n_ctx": 2048,
        "lora_path": "x.lora.gguf",
        "lora_sha256": "cd" * 32,
        "system_prompt_file": "ft_system_prompt.txt",
    }  # the base's grammar is not carried over: the trained model gets its own prompting
    # a base limit shorter than the longest trained answer grows to fit it; a longer one stays
    Base.spec.options["max_tokens"] = 160
    assert trained_options(Base, "p.txt", {}, tmp_path, longest_answer=375)["max_tokens"] == 375 + ANSWER_MARGIN
    Base.spec.options["max_tokens"] = 512
    assert trained_options(Base, "p.txt", {}, tmp_path, longest_answer=375)["max_tokens"] == 512


def test_bad_train_inputs_are_one_error_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    (tmp_path / "taken.toml").write_text('adapter = "gold"\n')
    (tmp_path / "remote.toml").write_text('adapter = "gemini"\n[options]\nmodel = "x"\n')
    (tmp_path / "nofile.toml").write_text('adapter = "llama_cpp"\n[options]\nmodel_path = "missing.gguf"\n')
    (tmp_path / "fake.gguf").write_text("not a gguf")
    work = tmp_path / "work"
    work.mkdir()
    (work / "checkpoint.pt").write_text("x")
    cases = {
        ("--base", "nope", "--name", "n1"): "not a model spec",
        ("--base", "remote", "--name", "n1"): "has no local weights",
        ("--base", "nofile", "--name", "n1"): "harness models pull nofile",
        ("--base", str(tmp_path / "fake.gguf"), "--name", "n1"): "is not a GGUF file",
        ("--base", "nofile", "--name", "taken"): "already exists",
        ("--base", "nofile", "--name", "bad/name"): "is not a plain name",
        ("--base", "nofile", "--name", "a..b"): "is not a plain name",
        ("--base", "nofile", "--name", "n" * 101): "is not a plain name",
        ("--base", "nofile", "--name", "n2", "--work-dir", str(work)): "--resume",
        ("--base", "nofile", "--name", "n2", "--resume", "--fresh"): "contradict",
    }
    for args, expected in cases.items():
        result = CliRunner().invoke(cli, ["train", "--suite", "suites/demo", *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith("Error: ") and expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.glob("*.toml")) == ["nofile.toml", "remote.toml", "taken.toml"]
    result = CliRunner().invoke(cli, ["train", "--suite", "suites/demo", "--base", "x", "--name", "y", "--lr", "0"])
    assert result.exit_code == 2 and "Usage:" in result.output


def test_precision_is_bf16_on_a_gpu_fp32_on_a_cpu_unless_asked():
    from harness.errors import InputError
    from harness.train.pipeline import resolve_precision

    assert (resolve_precision("auto", gpu=True), resolve_precision("auto", gpu=False)) == ("bf16", "fp32")
    assert resolve_precision("bf16-mixed", gpu=False) == "bf16-mixed"
    for choice, gpu in (("bf16", False), ("fp16", True)):
        try:
            resolve_precision(choice, gpu=gpu)
        except InputError as exc:
            assert choice in str(exc)
        else:
            raise AssertionError(f"{choice} accepted")
    # a different precision is a different training: --resume refuses a checkpoint made with another
    assert Hyperparameters(precision="fp32").key() != Hyperparameters(precision="bf16-mixed").key()
