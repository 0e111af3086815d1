"""Model specs: `models/<name>.toml` files, read by `--model NAME`.

    adapter = "llama_cpp"
    description = "Qwen3-4B fine-tuned on OncoGraph, Q8_0 GGUF"
    [options]
    model_path = "models/qwen3-4b-ft-oncograph-q8_0.gguf"

`gold` and `replay` need no file; a file of the same name overrides them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..errors import InputError, ModelUnavailable
from .base import ModelSpec

BUILTIN = {"gold": "gold", "replay": "replay"}


def models_dir() -> Path:
    return Path(os.environ.get("HARNESS_MODELS_DIR") or "models")


def read_spec_file(path: Path) -> ModelSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: bad TOML ({exc})") from None
    adapter = data.get("adapter")
    if not isinstance(adapter, str):
        raise InputError(f'{path}: missing `adapter = "..."`')
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise InputError(f"{path}: [options] must be a table")
    extra = {k: v for k, v in data.items() if k not in ("adapter", "options", "description")}
    if extra:
        raise InputError(f"{path}: unknown key(s) {', '.join(sorted(extra))} (put adapter options under [options])")
    spec = ModelSpec(name=path.stem, adapter=adapter, options=dict(options), path=str(path))
    spec.description = data.get("description", "")
    return spec


def load_spec(name: str) -> ModelSpec:
    path = models_dir() / f"{name}.toml"
    if path.is_file():
        return read_spec_file(path)
    if name in BUILTIN:
        spec = ModelSpec(name=name, adapter=BUILTIN[name])
        spec.description = "built in"
        return spec
    known = sorted({p.stem for p in models_dir().glob("*.toml")} | set(BUILTIN))
    raise ModelUnavailable(f"unknown model {name!r}: no {path} (known: {', '.join(known)})")


def list_specs() -> list[ModelSpec]:
    specs = {p.stem: read_spec_file(p) for p in sorted(models_dir().glob("*.toml"))}
    for name in BUILTIN:
        specs.setdefault(name, load_spec(name))
    return [specs[name] for name in sorted(specs)]
