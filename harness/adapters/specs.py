"""Model specs: `models/<name>.toml` files, read by `--model NAME`.

    adapter = "llama_cpp"
    description = "Qwen3-4B fine-tuned on OncoGraph, Q8_0 GGUF"
    [options]
    model_path = "models/qwen3-4b-ft-oncograph-q8_0.gguf"

`package = "dist-name"` names the package that provides a plugin adapter, so that a machine
without it gets the `pip install` line. A `[price]` table (pricing.py) gives the price the report's cost estimates use.
A `[resources]` table says what each replica asks a Ray cluster for under `harness run --ray`
(`num_cpus`, `num_gpus`, `memory` in bytes, or any custom resource name: a number >= 0 each).

A `[card]` table (written by `harness train`: base, suite, data hash, hyperparameters) is
documentation for people and tools; adapters never read it.

`gold` and `replay` need no file; a file of the same name overrides them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..errors import InputError, ModelUnavailable
from ..names import plain_name
from ..pricing import parse_price
from ..redact import remember_spec_options
from .base import ModelSpec, validate_options
from .registry import adapter_class, adapter_names

BUILTIN = {"gold": "gold", "replay": "replay"}


def models_dir() -> Path:
    return Path(os.environ.get("HARNESS_MODELS_DIR") or "models")


def read_spec_file(path: Path) -> ModelSpec:
    """A spec file, fully validated: its adapter exists and every option has the adapter's type and range."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: bad TOML ({exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    adapter = data.get("adapter")
    if adapter is None:
        raise InputError(f'{path}: missing `adapter = "..."` (one of {", ".join(adapter_names())})')
    if not isinstance(adapter, str) or not adapter:
        raise InputError(f"{path}: `adapter` must be a name, one of {', '.join(adapter_names())}, not {adapter!r}")
    package = data.get("package")
    if package is not None and not isinstance(package, str):
        raise InputError(f"{path}: `package` must be a string (the distribution that provides the adapter)")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise InputError(f"{path}: [options] must be a table")
    extra = {
        k: v
        for k, v in data.items()
        if k not in ("adapter", "package", "options", "description", "card", "price", "resources")
    }
    if extra:
        raise InputError(f"{path}: unknown key(s) {', '.join(sorted(extra))} (put adapter options under [options])")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InputError(f"{path}: `description` must be a string")
    price = parse_price(data.get("price"), str(path))
    resources = data.get("resources", {})
    if not isinstance(resources, dict):
        raise InputError(f"{path}: [resources] must be a table")
    for key, value in resources.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InputError(f"{path}: resource `{key}` must be a number >= 0, not {value!r}")
    spec = ModelSpec(
        name=path.stem,
        adapter=adapter,
        options=dict(options),
        path=str(path),
        description=description,
        package=package,
        price=price.record() if price else None,
        resources=dict(resources),
    )
    try:
        adapter_type = adapter_class(adapter, package)
    except ModelUnavailable as exc:
        raise InputError(f"{path}: {exc}") from None
    validate_options(adapter_type.Options, spec.options, str(path))
    remember_spec_options(spec.options)  # its key and URL credentials are never stored or shown
    return spec


def load_spec(name: str) -> ModelSpec:
    path = models_dir() / f"{plain_name(name, 'model name')}.toml"
    if path.is_file():
        return read_spec_file(path)
    if name in BUILTIN:
        return ModelSpec(name=name, adapter=BUILTIN[name], description="built in")
    known = sorted({p.stem for p in models_dir().glob("*.toml")} | set(BUILTIN))
    raise ModelUnavailable(f"unknown model {name!r}: no {path} (known: {', '.join(known)})")


@dataclass
class BrokenSpec:
    """A spec file that does not load, listed with its error so one bad file cannot hide the others."""

    name: str
    path: str
    error: str


def list_specs() -> list[ModelSpec | BrokenSpec]:
    specs: dict[str, ModelSpec | BrokenSpec] = {}
    for path in sorted(models_dir().glob("*.toml")):
        try:
            specs[path.stem] = read_spec_file(path)
        except InputError as exc:
            specs[path.stem] = BrokenSpec(path.stem, str(path), str(exc))
    for name in BUILTIN:
        specs.setdefault(name, load_spec(name))
    return [specs[name] for name in sorted(specs)]
