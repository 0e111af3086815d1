#!/usr/bin/env python3
"""One LoRA training step of SmolLM2-135M on CPU, fp32 against bf16-mixed, alternated: seconds per step.

Why: `harness train --precision bf16-mixed` is offered as the fast CPU path; this measures what
it buys on the machine at hand (AVX512-BF16 or AMX make the difference).

    .venv/bin/python scripts/bench_train_step.py [--rounds 3] [--batch-size 8] [--threads 1]
        [--prompt ft_compact_prompt.txt]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from harness.train.base import resolve_base
from harness.train.data import load_training_data
from harness.train.loop import Hyperparameters, add_lora, autocast, collate, encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prompt", default="ft_compact_prompt.txt")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, tokenizer = resolve_base("smol").load(torch.float32)
    model = add_lora(model, Hyperparameters())
    data = load_training_data("demo", args.prompt)
    batch = collate([encode(e, tokenizer, 1024) for e in data.train[: args.batch_size]], tokenizer.pad_token_id)
    tokens = int(batch[1].sum())
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.0)  # a step's work without changing the weights between rounds
    times: dict[str, list[float]] = {"fp32": [], "bf16-mixed": []}
    for _ in range(args.rounds + 1):  # the first round warms up and is not counted
        for precision in times:
            started = time.perf_counter()
            with autocast(Hyperparameters(precision=precision), "cpu"):
                loss = model(input_ids=batch[0], attention_mask=batch[1], labels=batch[2]).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            times[precision].append(time.perf_counter() - started)
    print(f"batch of {args.batch_size} examples ({tokens} tokens), {args.threads} thread(s), {args.rounds} rounds")
    medians = {p: statistics.median(t[1:]) for p, t in times.items()}
    for precision, median in medians.items():
        print(f"{precision:>10}: {median:.2f} s per step (median), {tokens / median:.0f} tokens/s")
    print(f"fp32 / bf16-mixed: {medians['fp32'] / medians['bf16-mixed']:.2f}")


if __name__ == "__main__":
    main()
