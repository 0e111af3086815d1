#!/usr/bin/env python3
"""How fast llama.cpp answers a 200-token Cypher query with a Qwen3-4B-shaped Q8_0 GGUF.

No download: it writes a GGUF with the real Qwen3-4B shape (36 layers, hidden 2560, 32 query
and 8 key-value heads, head dim 128, feed-forward 9728, vocab 151936) and random weights at
Q8_0 (~4.3 GB), so speed is measured exactly as for the real model (speed does not depend on
the weights' values; EOS is ignored, every query makes exactly --tokens tokens).

Measures, with llama-cpp-python (build it with CUDA: scripts/bench_llama_gpu.sh):
- single stream (the `llama_cpp` adapter's path): prompt processing, decode tokens/s and
  seconds per query;
- parallel slots (what llama-server -np N does): N sequences in one context, decoded in one
  batch per step; aggregate queries/s and tokens/s.

    python scripts/bench_llama_gpu.py            # the real shape (GPU machine)
    python scripts/bench_llama_gpu.py --tiny     # a tiny shape: checks the script on CPU in seconds
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.tiny_gguf import QWEN3_4B, TINY, write_tiny_gguf

GOALS = {"decode_tps": 390.0, "s_per_query": 0.6}  # issue 5, on one H100


def device_name() -> str:
    if shutil.which("nvidia-smi"):
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
        )
        if out.returncode == 0 and out.stdout.strip():
            return "GPU: " + out.stdout.strip().splitlines()[0]
    return f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} threads"


def prompt_tokens(n_vocab: int, count: int, seed: int) -> list[int]:
    """A fixed pseudo-random prompt (ordinary tokens only), like a ~system prompt + question."""
    return [int(t) for t in np.random.default_rng(seed).integers(256, min(n_vocab - 3, 20000), size=count)]


def single_stream(llm, prompt: list[int], tokens: int, queries: int) -> dict:
    """The adapter's path: reset, prefill, then greedy tokens one by one (EOS ignored)."""
    ttft, totals = [], []
    for _ in range(queries + 1):  # the first run warms up (CUDA kernels, allocations) and is dropped
        llm.reset()
        started = time.perf_counter()
        first = None
        for count, _token in enumerate(llm.generate(prompt, temp=0.0, top_k=1, reset=True), 1):
            if first is None:
                first = time.perf_counter()
            if count == tokens:
                break
        ttft.append(first - started)
        totals.append(time.perf_counter() - started)
    ttft, totals = ttft[1:], totals[1:]
    decode = [(tokens - 1) / (t - f) for t, f in zip(totals, ttft)]
    return {
        "prefill_tps": len(prompt) / float(np.median(ttft)),
        "decode_tps": float(np.median(decode)),
        "s_per_query": float(np.median(totals)),
        "ttft_s": float(np.median(ttft)),
    }


class Slots:
    """N sequences in one llama.cpp context, decoded together, as llama-server's parallel slots are."""

    def __init__(self, llm, slots: int, context_per_slot: int, gpu: bool):
        import llama_cpp as L

        self.L, self.slots = L, slots
        params = L.llama_context_default_params()
        params.n_ctx = slots * context_per_slot
        params.n_batch = params.n_ubatch = 512
        params.n_seq_max = slots
        params.kv_unified = True
        params.n_threads, params.n_threads_batch = llm.context_params.n_threads, llm.context_params.n_threads_batch
        params.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_ENABLED if gpu else L.LLAMA_FLASH_ATTN_TYPE_DISABLED
        self.ctx = L.llama_init_from_model(llm._model.model, params)
        if not self.ctx:
            raise RuntimeError(f"could not create a context for {slots} slots")
        self.n_vocab = llm.n_vocab()
        self.batch = L.llama_batch_init(512, 0, slots)

    def _decode(self, entries):
        """entries: (token, position, sequence, wants_logits); returns the batch rows with logits."""
        batch, rows = self.batch, []
        for start in range(0, len(entries), 512):
            chunk = entries[start : start + 512]
            for i, (token, pos, seq, logits) in enumerate(chunk):
                batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
                batch.seq_id[i][0], batch.logits[i] = seq, logits
            batch.n_tokens = len(chunk)
            if self.L.llama_decode(self.ctx, batch) != 0:
                raise RuntimeError("llama_decode failed (context too small?)")
            rows = [i for i, entry in enumerate(chunk) if entry[3]]
        return rows

    def _argmax(self, row: int) -> int:
        logits = self.L.llama_get_logits_ith(self.ctx, row)
        return int(
            np.ctypeslib.as_array(ctypes.cast(logits, ctypes.POINTER(ctypes.c_float)), shape=(self.n_vocab,)).argmax()
        )

    def run(self, prompt: list[int], tokens: int) -> float:
        """All slots answer one query each (prefill, then `tokens` greedy steps); returns seconds."""
        self.L.llama_memory_clear(self.L.llama_get_memory(self.ctx), True)
        started = time.perf_counter()
        last = {}
        for seq in range(self.slots):
            rows = self._decode([(t, p, seq, p == len(prompt) - 1) for p, t in enumerate(prompt)])
            last[seq] = self._argmax(rows[-1])
        for step in range(1, tokens):
            rows = self._decode([(last[seq], len(prompt) + step - 1, seq, True) for seq in range(self.slots)])
            for seq, row in zip(range(self.slots), rows):
                last[seq] = self._argmax(row)
        self.L.llama_synchronize(self.ctx)
        return time.perf_counter() - started

    def close(self):
        self.L.llama_batch_free(self.batch)
        self.L.llama_free(self.ctx)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random model (CPU check of this script)")
    parser.add_argument("--gguf", type=Path, help="use this GGUF instead of writing one")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "harness-bench")
    parser.add_argument("--tokens", type=int, default=200, help="generated tokens per query (EOS ignored)")
    parser.add_argument("--prompt", type=int, default=300, help="prompt tokens per query")
    parser.add_argument("--queries", type=int, default=5, help="timed single-stream queries (median reported)")
    parser.add_argument("--slots", default=None, help="parallel slot counts, e.g. 1,4,8,16")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    import llama_cpp
    from tabulate import tabulate

    shape = TINY if args.tiny else QWEN3_4B
    slots = [int(s) for s in (args.slots or ("1,2,4" if args.tiny else "1,4,8,16")).split(",")]
    path = args.gguf
    if path is None:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / ("tiny-q8_0.gguf" if args.tiny else "qwen3-4b-shape-random-q8_0.gguf")
        if not path.is_file():
            started = time.perf_counter()
            write_tiny_gguf(path, shape, quant="Q8_0", chat_template=None, name=path.stem)
            print(
                f"wrote {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - started:.0f}s",
                file=sys.stderr,
            )
    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    started = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=str(path),
        n_ctx=args.prompt + args.tokens + 64,
        n_gpu_layers=-1 if gpu else 0,
        n_batch=512,
        flash_attn=gpu,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        verbose=False,
    )
    load_s = time.perf_counter() - started
    prompt = prompt_tokens(llm.n_vocab(), args.prompt, seed=1)
    single = single_stream(llm, prompt, args.tokens, args.queries)

    rows = [
        (
            "single stream",
            1,
            f"{single['prefill_tps']:.0f}",
            f"{single['decode_tps']:.1f}",
            f"{single['s_per_query']:.3f}",
            f"{1 / single['s_per_query']:.2f}",
            f"{single['decode_tps']:.0f}",
        )
    ]
    for count in slots:
        batch = Slots(llm, count, args.prompt + args.tokens + 16, gpu)
        batch.run(prompt, min(args.tokens, 8))  # warm-up
        seconds = batch.run(prompt, args.tokens)
        batch.close()
        rows.append(
            (
                f"{count} parallel slot{'s' if count > 1 else ''}",
                count,
                "",
                "",
                f"{seconds:.3f}",
                f"{count / seconds:.2f}",
                f"{count * args.tokens / seconds:.0f}",
            )
        )
    print(f"device: {device_name()}; llama-cpp-python {llama_cpp.__version__}, GPU offload: {gpu}")
    print(
        f"model: {path.name} ({path.stat().st_size / 1e9:.2f} GB, {shape.layers} layers, hidden {shape.hidden}, "
        f"vocab {llm.n_vocab()}), loaded in {load_s:.1f}s; prompt {args.prompt} tokens, {args.tokens} generated per query\n"
    )
    print(
        tabulate(
            rows,
            headers=(
                "mode",
                "slots",
                "prefill tok/s",
                "decode tok/s",
                "s per query (wall)",
                "queries/s",
                "aggregate tok/s",
            ),
            tablefmt="github",
        )
    )
    if not args.tiny and not gpu:
        print("\n(no GPU offload: the goals below are for a GPU run; build with scripts/bench_llama_gpu.sh)")
    elif not args.tiny:
        ok_tps = single["decode_tps"] >= GOALS["decode_tps"]
        ok_s = single["s_per_query"] <= GOALS["s_per_query"]
        print(
            f"\ngoals (one H100): decode >= {GOALS['decode_tps']:.0f} tok/s: {'met' if ok_tps else 'NOT met'}; "
            f"200-token query <= {GOALS['s_per_query']} s: {'met' if ok_s else 'NOT met'}"
        )
    llm.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
