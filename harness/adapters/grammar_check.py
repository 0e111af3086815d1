"""Checking a GBNF grammar before the model loads, in a child process.

llama.cpp parses a grammar only when it builds the sampler, and a malformed grammar can
crash the whole process there (SIGSEGV) before any Python error handling runs. So the
grammar is parsed once in a throw-away child that loads only the model's vocabulary: a
parse error or a crash there becomes one error naming the file.

Run as `python -m harness.adapters.grammar_check MODEL.gguf GRAMMAR.gbnf` (exit 0: valid).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..errors import ModelUnavailable

INVALID = 3
MODEL_UNREADABLE = 4  # the model, not the grammar: a truncated GGUF must not read as a bad grammar


def check_grammar(model_path: str | Path, grammar_path: str | Path, timeout_s: float = 300) -> None:
    """Raises ModelUnavailable naming `grammar_path` unless llama.cpp parses it for this model's vocabulary."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, str(model_path), str(grammar_path)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        raise ModelUnavailable(f"{grammar_path}: checking the grammar took over {timeout_s:.0f}s") from None
    if done.returncode == 0:
        return
    said = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode == MODEL_UNREADABLE:
        raise ModelUnavailable(
            f"llama.cpp could not load {model_path} (truncated or damaged GGUF?): "
            "download or convert it again; the grammar was not checked"
        )
    why = (
        "llama.cpp cannot parse it"
        if done.returncode == INVALID
        else f"llama.cpp crashed on it (exit {done.returncode})"
    )
    hint = f": {said[-1][:200]}" if said else ""
    raise ModelUnavailable(f"{grammar_path}: not a valid GBNF grammar ({why}{hint})")


def _main(model_path: str, grammar_path: str) -> int:
    import llama_cpp

    text = Path(grammar_path).read_text(encoding="utf-8")
    try:
        llm = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"cannot load the model: {exc}", file=sys.stderr)
        return MODEL_UNREADABLE
    sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, text.encode("utf-8"), b"root")
    if not sampler:
        print("parse error", file=sys.stderr)
        return INVALID
    llama_cpp.llama_sampler_free(sampler)
    return 0


if __name__ == "__main__":
    sys.exit(_main(*sys.argv[1:3]))
