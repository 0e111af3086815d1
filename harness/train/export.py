"""GGUF export with llama.cpp's own converters: the LoRA adapter (applied by llama.cpp at load time
over the unchanged base GGUF), or the merged model when the base is not a GGUF.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .base import file_sha256
from .llama_source import run_converter


def save_base_config(model, tokenizer, folder: Path) -> Path:
    """config.json (+ tokenizer) of the base: all convert_lora_to_gguf.py needs besides the adapter."""
    base = model.get_base_model()
    config = base.config.to_dict()
    config.pop("quantization_config", None)  # "gguf": the converter only needs the architecture's shapes
    config["architectures"] = config.get("architectures") or [type(base).__name__]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    tokenizer.save_pretrained(folder)
    return folder


def export_lora(model, tokenizer, work: Path, out: Path, outtype: str = "f32") -> str:
    """Adapter safetensors -> GGUF at `out` (renamed into place when complete); returns its sha256."""
    adapter = work / "adapter"
    model.save_pretrained(adapter)
    base_config = save_base_config(model, tokenizer, work / "base-config")
    partial = out.with_name(out.name + ".part")
    run_converter(
        "convert_lora_to_gguf.py",
        ["--base", str(base_config), "--outfile", str(partial), "--outtype", outtype, str(adapter)],
    )
    os.replace(partial, out)
    return file_sha256(out)


def export_merged(model, tokenizer, work: Path, out: Path, outtype: str = "q8_0") -> str:
    """LoRA merged into the base weights, saved as safetensors, then convert_hf_to_gguf.py."""
    merged = work / "merged"
    model.merge_and_unload().save_pretrained(merged, safe_serialization=True)
    tokenizer.save_pretrained(merged)
    partial = out.with_name(out.name + ".part")
    run_converter("convert_hf_to_gguf.py", [str(merged), "--outfile", str(partial), "--outtype", outtype])
    os.replace(partial, out)
    return file_sha256(out)
