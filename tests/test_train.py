"""`harness train` for real: SmolLM2-135M (the Q4_1 GGUF from PyPI), a few LoRA steps on a slice of
the demo train split, llama.cpp's converter, and the exported adapter loaded by llama.cpp.

Slow on 2 shared cores (minutes): marked `train` and `slow`; `make test` installs the [train] extra.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness._util.files import sha256_file
from harness.adapters.llama_cpp import LlamaCppAdapter
from harness.adapters.specs import load_spec, read_spec_file, tomllib
from harness.cli.main import cli
from harness.store import Store
from harness.suitegen.model import open_suite
from harness.verdict import Outcome

try:
    import torch
except Exception as exc:  # absent, or a broken install: a skip, never a green one in CI
    reason = f"the [train] extra is not usable ({type(exc).__name__}: {exc}); `make test` installs it"
    if os.environ.get("HARNESS_REQUIRE_TRAIN") == "1":  # set by .ci/run
        pytest.fail(f"HARNESS_REQUIRE_TRAIN=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

# minutes on 2 shared cores (the kill-and-resume test took 17 min at load 28): each may take up to 40
pytestmark = [pytest.mark.train, pytest.mark.slow, pytest.mark.timeout(2400)]

REPO = Path(__file__).resolve().parent.parent
# 16 train items, seed 1: 12 trained on, 4 (one whole group) held out; one thread (fast on a busy machine).
SHORT = ["--limit", "16", "--seed", "1", "--validation-fraction", "0.3", "--batch-size", "2", "--warmup-steps", "1"]


def harness(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *args], capture_output=True, text=True, env=env, cwd=REPO
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A models folder with the shipped SmolLM2 spec, its GGUF pulled (or verified) in the cache."""
    from harness.adapters.hub import pull

    folder = tmp_path_factory.mktemp("models")
    shutil.copy(REPO / "models" / "smol.toml", folder / "smol.toml")
    pull(read_spec_file(folder / "smol.toml"), echo=lambda line: None)
    return folder


def env_for(models: Path, **extra) -> dict:
    return dict(os.environ, HARNESS_MODELS_DIR=str(models), HARNESS_TRAIN_THREADS="1", **extra)


@pytest.fixture(scope="module")
def trained(models, tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    result = harness(
        "train",
        "--base",
        "smol",
        "--suite",
        "demo",
        "--name",
        "smol-t",
        *SHORT,
        "--precision",
        "bf16-mixed",  # fp32 weights, bf16 matmuls: the fast CPU path (the resume test below keeps fp32)
        "--work-dir",
        str(work),
        env=env_for(models),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return models / "smol-t.toml", work, result


def test_short_training_lowers_held_out_loss_and_writes_a_pinned_spec(trained):
    spec_path, work, result = trained
    text = spec_path.read_text()
    card = tomllib.loads(text)["card"]
    spec = read_spec_file(spec_path)
    lora = spec_path.parent / spec.options["lora_path"]
    assert spec.options["lora_sha256"] == sha256_file(lora)
    assert spec.options["system_prompt_file"] == "ft_system_prompt.txt" and "grammar_file" not in spec.options
    assert spec.options["sha256"] == card["base_sha256"]  # the same base file llama.cpp loads
    assert card["suite_items_sha256"] == open_suite("suites/demo").content_hash()
    assert (card["train_examples"], card["validation_examples"], card["steps"]) == (12, 4, 6)
    assert card["precision"] == "bf16-mixed" and card["hyperparameters"]["precision"] == "bf16-mixed"
    assert card["validation_loss"] < card["validation_loss_before"]  # it learned something it was not shown
    steps = [json.loads(line) for line in (work / "log.jsonl").read_text().splitlines()]
    assert [s["step"] for s in steps] == [1, 2, 3, 4, 5, 6] and all(s["loss"] > 0 for s in steps)
    assert "validation loss" in result.stderr


def test_exported_adapter_loads_in_llama_cpp_with_the_training_prompt(trained, models, monkeypatch):
    from transformers import AutoTokenizer

    monkeypatch.setenv("HARNESS_MODELS_DIR", str(models))
    spec = load_spec("smol-t")
    item = next(open_suite("suites/demo").items(split="test"))
    tuned = LlamaCppAdapter(spec)
    plain_spec = load_spec("smol-t")
    plain_spec.options = {k: v for k, v in spec.options.items() if not k.startswith("lora_")}
    plain = LlamaCppAdapter(plain_spec)
    try:
        answer, untuned = tuned.generate(item), plain.generate(item)
        assert answer.infra_error is None and answer.output.strip(), answer
        assert answer.output != untuned.output  # the adapter is applied
        assert tuned.describe()["lora_sha256"] == spec.options["lora_sha256"]
        base = read_spec_file(models / "smol.toml")
        gguf = LlamaCppAdapter(base).path
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        trained_prompt = tokenizer.apply_chat_template(
            tuned.messages(item.question), tokenize=False, add_generation_prompt=True
        )
        assert tuned.render(item.question) == trained_prompt  # evaluation sends exactly what training saw
    finally:
        tuned.close()
        plain.close()


def test_trained_spec_evaluates_like_any_model(trained, models, use_neo4j, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(models))
    db = tmp_path / "r.db"
    result = CliRunner().invoke(
        cli, ["run", "--model", "smol-t", "--suite", "suites/demo", "--limit", "2", "--quiet", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    store = Store(db)
    run = store.get_run(result.stdout.strip())
    rows = list(store.results(run.id))
    assert len(rows) == 2 and all(Outcome.is_scored(r["outcome"]) for r in rows)
    assert run.adapter_info["lora_sha256"] == load_spec("smol-t").options["lora_sha256"]


def wait_for_line(process: subprocess.Popen, start: bytes, deadline_s: float) -> None:
    """Read the process's stderr until a line starts with `start` (an event, not a poll); fail at the deadline
    or when the process ends first."""
    assert process.stderr is not None
    deadline = time.monotonic() + deadline_s
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no line {start!r} in {deadline_s:.0f} s; stderr so far: {buffer[-2000:]!r}"
            if not selector.select(timeout=left):
                continue
            chunk = os.read(process.stderr.fileno(), 65536)
            assert chunk, f"training ended before {start!r} (exit {process.wait()}): {buffer[-2000:]!r}"
            buffer += chunk
            if any(line.startswith(start) for line in buffer.split(b"\n")[:-1]):
                return


def adapter_weights(work: Path) -> dict:
    data = torch.load(work / "checkpoint.pt", weights_only=False)
    return data["state"]["step"], data["adapter"]


def test_a_killed_training_resumes_to_the_same_weights(models, tmp_path):
    args = [
        "train",
        "--base",
        "smol",
        "--suite",
        "demo",
        "--limit",
        "6",
        "--batch-size",
        "1",
        "--validation-fraction",
        "0",
        "--max-steps",
        "4",
        "--save-every",
        "2",
        "--warmup-steps",
        "1",
    ]
    env = env_for(models)
    killed, straight = tmp_path / "killed", tmp_path / "straight"
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", *args, "--name", "k", "--work-dir", str(killed)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # the loop logs step 3 after it saved the step-2 checkpoint; the next is saved a whole step later
        wait_for_line(process, b"step 3/4 ", deadline_s=600)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=60)
    step, _ = adapter_weights(killed)
    assert step == 2 and not (models / "k.toml").exists()
    again = harness(*args, "--name", "k", "--work-dir", str(killed), "--resume", env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resumed from step 2 of" in again.stderr
    once = harness(*args, "--name", "s", "--work-dir", str(straight), env=env)
    assert once.returncode == 0, once.stderr[-3000:]
    (step_a, resumed), (step_b, uninterrupted) = adapter_weights(killed), adapter_weights(straight)
    assert step_a == step_b == 4 and resumed.keys() == uninterrupted.keys()
    assert all(torch.equal(resumed[name], uninterrupted[name]) for name in resumed)
    assert sha256_file(models / "k.lora.gguf") == sha256_file(models / "s.lora.gguf")
