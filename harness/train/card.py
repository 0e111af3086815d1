"""The trained model's spec, `models/NEW.toml`: the base's llama.cpp options, the LoRA pinned by
sha256, the training prompt, and a `[card]` table saying what it was trained from and how.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .._util.files import atomic_write

# Options of the base spec that describe *its* prompting: the trained model gets its own.
PROMPTING = ("system_prompt_file", "grammar_file")
# Options that say where the base GGUF comes from: replaced when the export is a merged model.
SOURCE = ("model_path", "hf_repo", "hf_file", "hf_revision", "pypi_wheel", "wheel_file", "sha256", "convert_from")


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return json.dumps(str(value))
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items() if v is not None) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def table(name: str, values: dict) -> str:
    lines = [f"[{name}]"] + [f"{k} = {toml_value(v)}" for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def spec_text(description: str, options: dict, card: dict) -> str:
    head = f'adapter = "llama_cpp"\ndescription = {toml_value(description)}\n\n'
    return head + table("options", options) + "\n" + table("card", card)


ANSWER_MARGIN = 32  # tokens beyond the longest trained answer before generation is cut


def trained_options(
    base, system_prompt_file: str, weights: dict, spec_folder: Path, longest_answer: int | None = None
) -> dict:
    """The base spec's options (where its GGUF comes from, context, decoding), with the new weights and prompt.

    `max_tokens` grows to fit the longest answer trained on: the base's limit was set for its own
    prompting, and a fine-tuned model cut mid-query scores a syntax error it did not make."""
    if base.spec is not None:
        options = {k: v for k, v in base.spec.options.items() if k not in PROMPTING}
        if "model_path" in options:  # keep pointing at the same file from the new spec's folder
            options["model_path"] = str(base.path.resolve())
    else:
        options = {"model_path": str(base.path.resolve()), "n_ctx": 2048, "max_tokens": 256}
    if "model_path" in weights:  # a merged GGUF replaces the base file
        options = {k: v for k, v in options.items() if k not in SOURCE}
    options.update(weights)
    options["system_prompt_file"] = system_prompt_file
    if longest_answer is not None:
        options["max_tokens"] = max(options.get("max_tokens", 0), longest_answer + ANSWER_MARGIN)
    return options


def write_spec(path: Path, description: str, options: dict, card: dict) -> None:
    atomic_write(path, spec_text(description, options, card))
