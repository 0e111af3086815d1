"""`harness train` end to end: base + suite -> LoRA training (resumable) -> GGUF -> models/NEW.toml."""

from __future__ import annotations

import platform
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..adapters.specs import models_dir
from ..errors import InputError, ModelUnavailable
from ..names import plain_name
from ..paths import cache_dir
from .base import resolve_base
from .card import trained_options, write_spec
from .data import load_training_data
from .export import export_lora, export_merged
from .loop import (
    CHECKPOINT,
    PRECISIONS,
    Hyperparameters,
    add_lora,
    answer_tokens,
    encode,
    run_training,
)


@dataclass
class TrainRequest:
    base: str
    suite: str
    name: str
    system_prompt_file: str = "ft_system_prompt.txt"
    validation_fraction: float = 0.05
    limit: int | None = None  # only the first N train items (tests, smoke runs)
    hyper: Hyperparameters = field(default_factory=lambda: Hyperparameters())
    resume: bool = False
    fresh: bool = False
    merge: bool = False  # export the merged model instead of a LoRA adapter
    threads: int | None = None
    work_dir: Path | None = None


@dataclass
class TrainReport:
    spec_path: Path
    weights_path: Path
    sha256: str
    steps: int
    total_steps: int
    first_loss: float | None
    last_loss: float | None
    validation: list
    train_s: float
    export_s: float
    examples: int
    held_out: int


def work_folder(request: TrainRequest) -> Path:
    return request.work_dir or cache_dir() / "train" / request.name


def check_request(request: TrainRequest, spec_path: Path, work: Path) -> None:
    """Everything that can be refused is refused before a model is loaded."""
    plain_name(request.name, "--name")
    if spec_path.exists() and not (request.resume or request.fresh):
        raise InputError(f"{spec_path} already exists: choose another --name (or delete it, or pass --fresh)")
    if (work / CHECKPOINT).is_file() and not (request.resume or request.fresh):
        raise InputError(
            f"a training of {request.name!r} has a checkpoint in {work}: "
            "continue it with --resume, or pass --fresh to start over"
        )
    if request.resume and request.fresh:
        raise InputError("--resume and --fresh contradict each other: choose one")


def require_training_packages() -> None:
    import importlib.util

    missing = [name for name in ("torch", "transformers", "peft", "gguf") if importlib.util.find_spec(name) is None]
    if missing:
        raise ModelUnavailable(
            f"training needs {', '.join(missing)}: pip install 'oncograph-harness[train]' (make test installs it)"
        )


def train(request: TrainRequest, log=lambda line: None) -> TrainReport:
    spec_path = models_dir() / f"{request.name}.toml"
    work = work_folder(request)
    check_request(request, spec_path, work)
    base = resolve_base(request.base)
    data = load_training_data(
        request.suite,
        request.system_prompt_file,
        request.validation_fraction,
        request.hyper.seed,
        request.limit,
    )
    require_training_packages()
    import torch

    if request.fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    if request.threads:
        torch.set_num_threads(request.threads)
    gpu = torch.cuda.is_available()
    precision = resolve_precision(request.hyper.precision, gpu)
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    where = torch.cuda.get_device_name() if gpu else "CPU"
    log(f"loading {base.path} ({precision} on {where})")
    model, tokenizer = base.load(dtype)
    if gpu:
        model = model.to("cuda")
    n_params = sum(p.numel() for p in model.parameters())
    hp = request.hyper.resolved(n_params, precision)
    torch.manual_seed(hp.seed)  # LoRA's initial weights
    model = add_lora(model, hp)
    key = {"hyperparameters": hp.key(), "base_sha256": base.sha256, "train_data_sha256": data.data_hash()}
    log(
        f"{len(data.train)} training examples, {len(data.validation)} held out by group; {n_params / 1e6:.1f}M parameters"
    )
    state = run_training(model, tokenizer, data.train, data.validation, hp, work, key, request.resume, log)
    started = time.perf_counter()
    if request.merge or base.kind == "hf":
        weights_path = models_dir() / f"{request.name}.gguf"
        sha = export_merged(model, tokenizer, work, weights_path)
        weights = {"model_path": weights_path.name, "sha256": sha}
    else:
        weights_path = models_dir() / f"{request.name}.lora.gguf"
        sha = export_lora(model, tokenizer, work, weights_path)
        weights = {"lora_path": weights_path.name, "lora_sha256": sha}
    export_s = time.perf_counter() - started
    longest = max(answer_tokens(encode(e, tokenizer, hp.max_length)) for e in data.train + data.validation)
    losses = [h["loss"] for h in state.history]
    card = {
        "base": base.name,
        "base_sha256": base.sha256,
        "suite": data.suite,
        "suite_items_sha256": data.suite_items_sha256,
        "graph_fingerprint": data.graph_fingerprint,
        "split": "train",
        "train_data_sha256": data.data_hash(),
        "train_examples": len(data.train),
        "validation_examples": len(data.validation),
        "validation_fraction": request.validation_fraction,
        "system_prompt_file": data.system_prompt_file,
        "longest_answer_tokens": longest,
        "steps": state.step,
        "total_steps": state.total_steps,
        "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None,
        "validation_loss_before": state.validation[0]["loss"] if state.validation else None,
        "validation_loss": state.validation[-1]["loss"] if state.validation else None,
        "validation_curve": [[v["step"], v["loss"]] for v in state.validation] or None,
        "train_seconds": state.elapsed_s,
        "device": torch.cuda.get_device_name()
        if gpu
        else f"CPU ({torch.get_num_threads()} threads, {platform.machine()})",
        "dtype": str(dtype).removeprefix("torch."),
        "precision": precision,
        "harness": __version__,
        "torch": torch.__version__,
        "transformers": version_of("transformers"),
        "peft": version_of("peft"),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "hyperparameters": hp.card(),
    }
    description = (
        f"{base.name} + LoRA (r {hp.lora_r}) fine-tuned by `harness train` on suite {data.suite!r} "
        f"(train split, {len(data.train)} examples, {state.step} steps)"
    )
    options = trained_options(base, request.system_prompt_file, weights, spec_path.parent, longest)
    write_spec(spec_path, description, options, card)
    return TrainReport(
        spec_path=spec_path,
        weights_path=weights_path,
        sha256=sha,
        steps=state.step,
        total_steps=state.total_steps,
        first_loss=card["first_loss"],
        last_loss=card["final_loss"],
        validation=state.validation,
        train_s=state.elapsed_s,
        export_s=round(export_s, 1),
        examples=len(data.train),
        held_out=len(data.validation),
    )


def resolve_precision(choice: str, gpu: bool) -> str:
    """auto: bf16 weights on a GPU, fp32 on a CPU (bf16-mixed is an explicit choice there: faster, not exact)."""
    if choice not in PRECISIONS:
        raise InputError(f"--precision {choice!r}: choose one of {', '.join(PRECISIONS)}")
    if choice == "auto":
        return "bf16" if gpu else "fp32"
    if choice == "bf16" and not gpu:
        raise InputError("--precision bf16 (weights in bf16) needs a GPU: on a CPU use bf16-mixed or fp32")
    return choice


def version_of(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None
