"""Prompt files: packaged under harness/adapters/prompts/, or a path beside the model spec.

Read as bytes and decoded without any newline translation or stripping, because the
fine-tuned model must see its training prompt byte for byte.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from ..errors import ModelUnavailable
from .base import ModelSpec
from .specs import models_dir

SCHEMA_FILE = "schema.txt"


def packaged(name: str) -> Path:
    return Path(str(resources.files("harness.adapters").joinpath("prompts", name)))


def spec_relative(spec: ModelSpec, name: str) -> Path:
    """A path from a spec: absolute, else beside the spec file (else under the models folder)."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return path
    return (Path(spec.path).parent if spec.path else models_dir()) / path


def resolve_file(spec: ModelSpec, name: str, folder: str) -> Path:
    """A prompt or grammar named in a spec: a file beside the spec wins over the packaged one."""
    local = spec_relative(spec, name)
    if local.is_file():
        return local
    bundled = Path(str(resources.files("harness.adapters").joinpath(folder, name)))
    if bundled.is_file():
        return bundled
    raise ModelUnavailable(
        f"{spec.path or spec.name}: {name} not found (looked for {local} and the packaged {folder}/{name})"
    )


def read_prompt(spec: ModelSpec, name: str) -> str:
    """The prompt text exactly as stored, with `{schema}` filled in."""
    text = resolve_file(spec, name, "prompts").read_bytes().decode("utf-8")
    return render(text, schema=schema_text()) if "{schema}" in text else text


def schema_text() -> str:
    return packaged(SCHEMA_FILE).read_bytes().decode("utf-8")


def render(template: str, **values: str) -> str:
    """Fill `{name}` slots by plain replacement: Cypher's own braces stay untouched."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
