"""The LoRA training loop: deterministic batches, loss on the answer only, atomic checkpoints, resume.

Why a plain loop rather than a Trainer: every input of a step is a function of (seed, step), and
a checkpoint holds the adapter, the optimizer and the RNG state, so a training killed at any
point and resumed from its last checkpoint reaches bit-identical weights (on CPU) to one that
was never interrupted. The learning rate is computed from the step, so there is no scheduler
state to lose.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError
from .data import Example

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
CHECKPOINT = "checkpoint.pt"
IGNORE = -100


Precision = Literal["auto", "fp32", "bf16", "bf16-mixed"]
PRECISIONS: tuple[str, ...] = get_args(Precision)


class Hyperparameters(BaseModel):
    """Every training hyperparameter and its default: `harness train`'s options are built from these fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lora_r: Annotated[int, Field(ge=1)] = 16
    lora_alpha: Annotated[int, Field(ge=1)] = 32
    lora_dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    learning_rate: Annotated[float | None, Field(gt=0.0)] = (
        None  # None: chosen from the base's size (default_learning_rate)
    )
    batch_size: Annotated[int, Field(ge=1)] = 8
    epochs: Annotated[float, Field(gt=0.0)] = 1.0
    max_steps: Annotated[int | None, Field(ge=1)] = (
        None  # stop here instead (a short run; the schedule still spans the epochs)
    )
    warmup_steps: Annotated[int, Field(ge=0)] = 10
    weight_decay: Annotated[float, Field(ge=0.0)] = 0.0
    grad_clip: Annotated[float, Field(ge=0.0)] = 1.0
    max_length: Annotated[int, Field(ge=16)] = (
        1024  # tokens per example, prompt + answer; longer ones are an error, never cut
    )
    seed: int = 0
    # "auto" (bf16 on a GPU, fp32 on a CPU), "fp32", "bf16" (weights in bf16: GPU) or "bf16-mixed" (fp32 weights, bf16 matmuls)
    precision: Precision = "auto"
    save_every: Annotated[int, Field(ge=1)] = 20
    eval_every: Annotated[int, Field(ge=1)] = 50
    target_modules: tuple[str, ...] = TARGET_MODULES

    @property
    def peak_learning_rate(self) -> float:
        if self.learning_rate is None:
            raise ValueError("learning_rate is chosen from the base model's size: resolve it first (resolved())")
        return self.learning_rate

    def resolved(self, n_params: int, precision: str) -> Hyperparameters:
        """The settings a training runs with: the learning rate chosen when not given, the precision decided."""
        learning_rate = self.learning_rate or default_learning_rate(n_params)
        return self.model_copy(update={"learning_rate": learning_rate, "precision": precision})

    def key(self) -> dict:
        """What must match for --resume (everything but where to stop and how often to save)."""
        data = self.model_dump(exclude={"max_steps", "save_every", "eval_every"})
        data["target_modules"] = list(self.target_modules)
        return data

    def card(self) -> dict:
        """Every field, as the trained model's card records it."""
        return self.model_dump() | {"target_modules": list(self.target_modules)}


def autocast(hp: Hyperparameters, device_type: str):
    """bf16 matmuls over fp32 weights under "bf16-mixed"; whether it pays depends on the CPU (scripts/bench_train_step.py)."""
    import torch

    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=hp.precision == "bf16-mixed")


def default_learning_rate(n_params: int) -> float:
    """LoRA on a ~100M model learns fast at 1e-3; a 4B model is steadier at 2e-4."""
    return 1e-3 if n_params < 1_000_000_000 else 2e-4


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]


def encode(example: Example, tokenizer, max_length: int) -> Encoded:
    """Prompt (system + user + generation prompt) as the adapter renders it; labels only on the answer."""
    messages = [dict(m) for m in example.messages]
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):
        raise InputError("the chat template renders the answer turn differently from the generation prompt")
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(full[len(prompt) :], add_special_tokens=False)["input_ids"]
    if len(prompt_ids) + len(answer_ids) > max_length:
        raise InputError(
            f"item {example.id}: {len(prompt_ids) + len(answer_ids)} tokens exceeds --max-length {max_length}"
        )
    return Encoded(prompt_ids + answer_ids, [IGNORE] * len(prompt_ids) + answer_ids)


def answer_tokens(encoded: Encoded) -> int:
    return sum(1 for label in encoded.labels if label != IGNORE)


def collate(batch: list[Encoded], pad_id: int):
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, e in enumerate(batch):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
    return ids, mask, labels


def batch_indices(step: int, n: int, hp: Hyperparameters) -> list[int]:
    """The examples of one step: a seeded permutation per epoch, so any step can be recomputed."""
    import torch

    per_epoch = math.ceil(n / hp.batch_size)
    epoch, position = divmod(step, per_epoch)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(hp.seed * 100_003 + epoch))
    return order[position * hp.batch_size : (position + 1) * hp.batch_size].tolist()


def learning_rate(step: int, total: int, hp: Hyperparameters) -> float:
    """Linear warm-up, then linear decay to zero at the last step."""
    if step < hp.warmup_steps:
        return hp.peak_learning_rate * (step + 1) / hp.warmup_steps
    return hp.peak_learning_rate * max(0.0, (total - step) / max(1, total - hp.warmup_steps))


@dataclass
class TrainState:
    step: int = 0
    total_steps: int = 0
    history: list = field(default_factory=list)  # {"step", "loss", "lr", "elapsed_s"} per step
    validation: list = field(default_factory=list)  # {"step", "loss"}
    elapsed_s: float = 0.0  # training time over all sessions (resumes add up)


def add_lora(model, hp: Hyperparameters):
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=hp.lora_r,
        lora_alpha=hp.lora_alpha,
        lora_dropout=hp.lora_dropout,
        target_modules=list(hp.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def save_checkpoint(folder: Path, model, optimizer, state: TrainState, key: dict) -> None:
    """Written to a temporary file and renamed: a kill leaves the previous checkpoint intact."""
    import torch
    from peft import get_peft_model_state_dict

    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / (CHECKPOINT + ".part")
    torch.save(
        {
            "key": key,
            "state": asdict(state),
            "adapter": get_peft_model_state_dict(model),
            "optimizer": optimizer.state_dict(),
            "rng": torch.get_rng_state(),
        },
        partial,
    )
    os.replace(partial, folder / CHECKPOINT)


def load_checkpoint(folder: Path, model, optimizer, key: dict) -> TrainState:
    import torch
    from peft import set_peft_model_state_dict

    data = torch.load(folder / CHECKPOINT, weights_only=False)
    if data["key"] != key:
        changed = sorted(k for k in set(key) | set(data["key"]) if key.get(k) != data["key"].get(k))
        if changed == ["hyperparameters"]:  # name the hyperparameters themselves
            old, new = data["key"]["hyperparameters"], key["hyperparameters"]
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise InputError(
            f"{folder / CHECKPOINT} was made with other settings ({', '.join(changed)}): "
            "resume with the same options, or start again with --fresh"
        )
    set_peft_model_state_dict(model, data["adapter"])
    optimizer.load_state_dict(data["optimizer"])
    torch.set_rng_state(data["rng"])
    return TrainState(**data["state"])


def mean_loss(model, encoded: list[Encoded], pad_id: int, hp: Hyperparameters) -> float | None:
    """Token-weighted answer loss over examples (the validation slice), without gradients."""
    import torch

    if not encoded:
        return None
    total, tokens = 0.0, 0
    model.eval()
    with torch.no_grad(), autocast(hp, model.device.type):
        for start in range(0, len(encoded), hp.batch_size):
            ids, mask, labels = collate(encoded[start : start + hp.batch_size], pad_id)
            ids, mask, labels = ids.to(model.device), mask.to(model.device), labels.to(model.device)
            n = int((labels[:, 1:] != IGNORE).sum())
            total += float(model(input_ids=ids, attention_mask=mask, labels=labels).loss) * n
            tokens += n
    model.train()
    return total / tokens


def progress_bar(state: TrainState):
    from tqdm import tqdm

    return tqdm(
        total=state.total_steps,
        initial=state.step,
        desc="train",
        unit="step",
        file=sys.stderr,
        dynamic_ncols=True,
        disable=None,  # plain stderr lines (below) when not a terminal
    )


def run_training(model, tokenizer, train, validation, hp: Hyperparameters, folder: Path, key: dict, resume: bool, log):
    """Train `model` (already wrapped with LoRA) in place; returns the final TrainState."""
    import torch

    pad_id = tokenizer.pad_token_id
    train_encoded = [encode(e, tokenizer, hp.max_length) for e in train]
    val_encoded = [encode(e, tokenizer, hp.max_length) for e in validation]
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=hp.peak_learning_rate, weight_decay=hp.weight_decay)
    total = math.ceil(hp.epochs * math.ceil(len(train_encoded) / hp.batch_size))
    state = TrainState(total_steps=total)
    if resume and (folder / CHECKPOINT).is_file():
        state = load_checkpoint(folder, model, optimizer, key)
        log(f"resumed from step {state.step} of {state.total_steps}")
    else:
        torch.manual_seed(hp.seed)
    stop = min(total, hp.max_steps) if hp.max_steps else total
    if val_encoded and state.step == 0:  # the base model's loss on the held-out slice: the curve's starting point
        value = mean_loss(model, val_encoded, pad_id, hp) or 0.0
        state.validation.append({"step": 0, "loss": round(value, 4)})
        log(f"step 0: validation loss {value:.4f} ({len(val_encoded)} held-out examples)")
    model.train()
    bar = progress_bar(state)
    session_start, carried = time.perf_counter(), state.elapsed_s
    with open(folder / "log.jsonl", "a", encoding="utf-8") as trace:
        while state.step < stop:
            lr = learning_rate(state.step, total, hp)
            for group in optimizer.param_groups:
                group["lr"] = lr
            ids, mask, labels = collate(
                [train_encoded[i] for i in batch_indices(state.step, len(train_encoded), hp)], pad_id
            )
            with autocast(hp, model.device.type):
                loss = model(
                    input_ids=ids.to(model.device), attention_mask=mask.to(model.device), labels=labels.to(model.device)
                ).loss
            loss.backward()
            if hp.grad_clip:
                torch.nn.utils.clip_grad_norm_(params, hp.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            state.step += 1
            state.elapsed_s = round(carried + time.perf_counter() - session_start, 2)
            record = {"step": state.step, "loss": round(loss.item(), 4), "lr": lr, "elapsed_s": state.elapsed_s}
            state.history.append(record)
            trace.write(json.dumps(record) + "\n")
            trace.flush()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if bar.disable:
                log(f"step {state.step}/{stop} loss {loss.item():.4f} lr {lr:.2e} ({state.elapsed_s:.0f} s)")
            if val_encoded and (state.step % hp.eval_every == 0 or state.step == total):
                value = mean_loss(model, val_encoded, pad_id, hp) or 0.0
                state.validation.append({"step": state.step, "loss": round(value, 4)})
                log(f"step {state.step}: validation loss {value:.4f} ({len(val_encoded)} held-out examples)")
            if state.step % hp.save_every == 0 or state.step == stop:
                save_checkpoint(folder, model, optimizer, state, key)
    bar.close()
    return state
