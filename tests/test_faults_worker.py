"""The llama.cpp worker process never outlives its run: SIGKILL the `harness run` that owns it in the
middle of a long generation, and the worker is gone within a few seconds (not at the end of its answer)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from harness.graph.instance import pid_alive

ROOT = Path(__file__).parents[1]


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def worker_of(pid: int, timeout_s: float = 120) -> int:
    """The spawned worker child of `pid` (not multiprocessing's resource tracker)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for child in children(pid):
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in command:
                return child
        time.sleep(0.2)
    raise AssertionError("no worker process started")


def run_started(db: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if sqlite3.connect(db).execute("select count(*) from runs").fetchone()[0]:
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.2)
    raise AssertionError("the run never started")


def test_the_llama_worker_ends_with_its_parent(use_neo4j, tiny_gguf, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    grammar = tmp_path / "long.gbnf"  # 20,000 letters: an answer that takes a while, whatever the weights say
    grammar.write_text("root ::= line{200}\nline ::= [a-z]{100}\n")
    (models / "tiny.toml").write_text(
        'adapter = "llama_cpp"\n[options]\n'
        f'model_path = "{tiny_gguf}"\nsystem_prompt_file = "ft_system_prompt.txt"\n'
        f'grammar_file = "{grammar}"\nmax_tokens = 30000\nn_ctx = 32768\nn_threads = 1\n'
    )
    env = {**os.environ, "HARNESS_MODELS_DIR": str(models), "HARNESS_DB": str(tmp_path / "r.db")}
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "run", "--model", "tiny", "--suite", "suites/demo", "--limit", "3"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = worker_of(process.pid)
    run_started(tmp_path / "r.db")  # the model loaded and checked: the first item goes out right after
    time.sleep(3)  # generating its first (minutes-long) answer
    assert pid_alive(worker)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 3
    while pid_alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = pid_alive(worker)
    if alive:
        os.kill(worker, signal.SIGKILL)
    assert not alive, "the llama.cpp worker outlived its parent"
