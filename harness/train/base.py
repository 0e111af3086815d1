"""The base model to fine-tune: a GGUF model spec (dequantised by transformers) or a Hugging Face folder.

A GGUF base is loaded from the very file llama.cpp serves, so the LoRA is trained against the
weights it will be applied to at inference. The chat template is the one stored with the model,
the same one the llama_cpp adapter renders prompts with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._util.files import sha256_file as file_sha256
from ..adapters.llama_cpp import model_file
from ..adapters.specs import load_spec, models_dir
from ..errors import InputError, ModelUnavailable

GGUF_MAGIC = b"GGUF"


@dataclass
class BaseModel:
    name: str  # what the user passed to --base
    kind: str  # "gguf" or "hf"
    path: Path  # the GGUF file or the Hugging Face folder
    spec: object | None = None  # the ModelSpec when --base named one
    sha256: str | None = None  # of the GGUF file

    def load(self, dtype):
        """(model, tokenizer) through transformers; a GGUF is dequantised to `dtype`."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        kwargs = {"gguf_file": self.path.name} if self.kind == "gguf" else {}
        folder = str(self.path.parent if self.kind == "gguf" else self.path)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, **kwargs)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailable(f"transformers could not load {self.path}: {exc}") from None
        if not tokenizer.chat_template:
            raise ModelUnavailable(f"{self.path} has no chat template: fine-tuning needs the one evaluation uses")
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        return model, tokenizer


def resolve_base(name: str) -> BaseModel:
    """--base: a model spec name (llama_cpp adapter, GGUF present), a .gguf file, or a folder with config.json."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise InputError(f"--base {name}: a Hugging Face model folder needs config.json")
        return BaseModel(name=name, kind="hf", path=path)
    if path.suffix == ".gguf":
        return BaseModel(name=name, kind="gguf", path=gguf_checked(path, name), sha256=file_sha256(path))
    if not (models_dir() / f"{name}.toml").is_file():
        raise InputError(f"--base {name}: not a model spec in {models_dir()}, a .gguf file or a Hugging Face folder")
    spec = load_spec(name)
    if spec.adapter != "llama_cpp":
        raise InputError(f"--base {name}: adapter {spec.adapter!r} has no local weights to fine-tune (need llama_cpp)")
    gguf = model_file(spec)
    if gguf is None or not gguf.is_file():
        raise ModelUnavailable(f"--base {name}: weights not found at {gguf}: run `harness models pull {name}` first")
    return BaseModel(name=name, kind="gguf", path=gguf_checked(gguf, name), spec=spec, sha256=file_sha256(gguf))


def gguf_checked(path: Path, name: str) -> Path:
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise InputError(f"--base {name}: cannot read {path} ({exc.strerror})") from None
    if magic != GGUF_MAGIC:
        raise InputError(f"--base {name}: {path} is not a GGUF file")
    return path
