#!/usr/bin/env python3
"""Benchmark the llama_cpp adapter on CPU: the harness's tokens/s against a bare llama-cpp-python loop.

Same model, same prompts, same decoding: the prompts are the spec's exact chat-templated
prompts for a seeded family-stratified sample of demo test items; the harness side is the
adapter `harness run` uses (model in a worker process, messages over a pipe), the bare side
a `Llama` in this process calling `create_completion` on the same tokens after `reset()`.
Each round runs every item on both sides, alternating which goes first (the machine is
noisy). Prints median tokens/s per side, their ratio (harness / bare), and the per-item
overhead of the harness: its wall time per item minus the generation time llama.cpp spent.
No Neo4j is needed (zero-shot prompts).

    .venv/bin/python scripts/bench_llama_cpu.py [--model smol] [--items 6] [--rounds 3] [--max-tokens 64] [--grammar]
"""

from __future__ import annotations

import argparse
import statistics
import time


def bare_loop(adapter, prompts: list[str], grammar_text: str | None):
    """A plain llama-cpp-python Llama with the adapter's load parameters; returns a generate(prompt) function."""
    import llama_cpp

    from harness.adapters.llama_cpp import extra_buffer_types

    o = adapter.options
    with extra_buffer_types(bool(o["repack"]) if o["repack"] != "auto" else False):
        llm = llama_cpp.Llama(
            model_path=str(adapter.path),
            n_ctx=int(o["n_ctx"]),
            n_gpu_layers=0,
            n_threads=o["n_threads"],
            n_threads_batch=o["n_threads"],
            n_batch=int(o["n_batch"]),
            verbose=False,
        )
    grammar = llama_cpp.LlamaGrammar.from_string(grammar_text, verbose=False) if grammar_text else None

    def generate(prompt: str) -> tuple[int, float]:
        tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        llm.reset()
        started = time.perf_counter()
        result = llm.create_completion(
            tokens, max_tokens=int(o["max_tokens"]), temperature=0.0, top_k=1, repeat_penalty=1.0, grammar=grammar
        )
        return result["usage"]["completion_tokens"], time.perf_counter() - started

    return generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smol")
    parser.add_argument("--items", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--grammar", action="store_true", help="keep the spec's grammar (default: none, on both sides)")
    args = parser.parse_args()

    from harness.adapters.llama_cpp import LlamaCppAdapter
    from harness.adapters.llama_worker import WorkerLlamaCpp
    from harness.adapters.prompting import resolve_file
    from harness.adapters.specs import load_spec
    from harness.runner.selection import Selection, select
    from harness.suitegen.model import open_suite

    spec = load_spec(args.model)
    spec.options.update(max_tokens=args.max_tokens, fewshot_k=0)
    if not args.grammar:
        spec.options["grammar_file"] = None
    grammar_text = (
        resolve_file(spec, spec.options["grammar_file"], "grammars").read_text()
        if spec.options.get("grammar_file")
        else None
    )
    items = select(open_suite("demo"), "test", Selection(sample=args.items, seed=1))
    local = LlamaCppAdapter(spec)  # only to render the exact prompts
    prompts = [local.render(item.question) for item in items]
    harness = WorkerLlamaCpp(spec)
    harness.check()
    bare = bare_loop(harness, prompts, grammar_text)

    sides = {"harness": [], "bare": []}  # (tokens, seconds) per item
    overhead_ms = []
    for round_number in range(args.rounds):
        order = ("harness", "bare") if round_number % 2 == 0 else ("bare", "harness")
        for item, prompt in zip(items, prompts):
            for side in order:
                if side == "harness":
                    started = time.perf_counter()
                    generation = harness.generate(item)
                    wall = time.perf_counter() - started
                    sides["harness"].append((generation.output_tokens, wall))
                    overhead_ms.append(wall * 1000 - generation.gen_ms)
                else:
                    sides["bare"].append(bare(prompt))
    harness.close()
    local.close()

    def rate(pairs):
        return statistics.median(tokens / seconds for tokens, seconds in pairs if seconds > 0)

    h, b = rate(sides["harness"]), rate(sides["bare"])
    tokens = statistics.median(t for t, _ in sides["harness"])
    print(
        f"model {args.model}, {len(items)} items x {args.rounds} rounds, max_tokens {args.max_tokens}, "
        f"grammar {'on' if grammar_text else 'off'}, n_threads {spec.options.get('n_threads')}, "
        f"median output {tokens:.0f} tokens"
    )
    print(f"harness (worker process): median {h:.1f} tok/s per item (wall time incl. prompt, IPC)")
    print(f"bare llama-cpp-python:    median {b:.1f} tok/s per item")
    print(f"ratio harness / bare:     {h / b:.3f}")
    print(
        f"harness overhead per item beyond llama.cpp's own generation: median {statistics.median(overhead_ms):.1f} ms"
    )


if __name__ == "__main__":
    main()
