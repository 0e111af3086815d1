"""`harness train`: LoRA fine-tuning on a suite's train split, exported to GGUF as a new model spec."""

from __future__ import annotations

from pathlib import Path

import click

from ..train.loop import PRECISIONS, Hyperparameters
from ..train.pipeline import TrainRequest, train

DEFAULTS = Hyperparameters()  # the one owner of every default below


@click.command("train")
@click.option(
    "--base", required=True, help="Base model: a llama_cpp spec name (its GGUF), a .gguf file or a HF folder."
)
@click.option("--suite", required=True, envvar="HARNESS_SUITE", help="Suite whose train split is the data.")
@click.option("--name", required=True, help="Name of the new model: writes models/NAME.toml and its GGUF.")
@click.option(
    "--system-prompt-file",
    default="ft_system_prompt.txt",
    show_default=True,
    help="The system prompt trained with and sent by the new spec (packaged name or file in models/).",
)
@click.option("--epochs", type=click.FloatRange(0, min_open=True), default=DEFAULTS.epochs, show_default=True)
@click.option("--max-steps", type=click.IntRange(1), default=None, help="Stop after this many steps.")
@click.option("--batch-size", type=click.IntRange(1), default=DEFAULTS.batch_size, show_default=True)
@click.option(
    "--lr",
    "learning_rate",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="Peak learning rate (default: 1e-3 under 1B parameters, else 2e-4).",
)
@click.option("--lora-r", type=click.IntRange(1), default=DEFAULTS.lora_r, show_default=True)
@click.option("--lora-alpha", type=click.IntRange(1), default=DEFAULTS.lora_alpha, show_default=True)
@click.option(
    "--max-length",
    type=click.IntRange(16),
    default=DEFAULTS.max_length,
    show_default=True,
    help="Tokens per example (longer ones are an error, never cut).",
)
@click.option("--warmup-steps", type=click.IntRange(0), default=DEFAULTS.warmup_steps, show_default=True)
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True)
@click.option(
    "--precision",
    type=click.Choice(PRECISIONS),
    default=DEFAULTS.precision,
    show_default=True,
    help="auto: bf16 on a GPU, fp32 on a CPU; bf16-mixed: fp32 weights, bf16 matmuls (measure it: scripts/bench_train_step.py).",
)
@click.option(
    "--save-every",
    type=click.IntRange(1),
    default=DEFAULTS.save_every,
    show_default=True,
    help="Checkpoint every N steps.",
)
@click.option(
    "--eval-every",
    type=click.IntRange(1),
    default=DEFAULTS.eval_every,
    show_default=True,
    help="Validation loss every N steps.",
)
@click.option(
    "--validation-fraction",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.05,
    show_default=True,
    help="Share of train groups held out for validation loss.",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N train items (smoke runs).")
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint of this --name.")
@click.option("--fresh", is_flag=True, help="Discard an earlier checkpoint and spec of this --name.")
@click.option("--merge", is_flag=True, help="Export the merged model (q8_0 GGUF) instead of a LoRA adapter.")
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False),
    default=None,
    envvar="HARNESS_TRAIN_DIR",
    help="Checkpoints and exports (default: $HARNESS_CACHE/train/NAME).",
)
@click.option(
    "--threads", type=click.IntRange(1), default=None, envvar="HARNESS_TRAIN_THREADS", help="CPU threads for torch."
)
def train_command(
    base,
    suite,
    name,
    system_prompt_file,
    epochs,
    max_steps,
    batch_size,
    learning_rate,
    lora_r,
    lora_alpha,
    max_length,
    warmup_steps,
    seed,
    precision,
    save_every,
    eval_every,
    validation_fraction,
    limit,
    resume,
    fresh,
    merge,
    work_dir,
    threads,
):
    """Fine-tune BASE with LoRA on SUITE's train split; write models/NAME.toml (pinned GGUF + model card)."""
    hyper = Hyperparameters(
        epochs=epochs,
        max_steps=max_steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        lora_r=lora_r,
        lora_alpha=lora_alpha,
        max_length=max_length,
        warmup_steps=warmup_steps,
        seed=seed,
        precision=precision,
        save_every=save_every,
        eval_every=eval_every,
    )
    request = TrainRequest(
        base=base,
        suite=suite,
        name=name,
        system_prompt_file=system_prompt_file,
        validation_fraction=validation_fraction,
        limit=limit,
        hyper=hyper,
        resume=resume,
        fresh=fresh,
        merge=merge,
        threads=threads,
        work_dir=Path(work_dir) if work_dir else None,
    )
    report = train(request, log=lambda line: click.echo(line, err=True))
    click.echo(
        f"{report.spec_path}: {report.steps}/{report.total_steps} steps, loss {report.first_loss} -> "
        f"{report.last_loss}, {report.train_s:.0f} s training + {report.export_s:.0f} s export; "
        f"{report.weights_path} sha256 {report.sha256}"
    )
