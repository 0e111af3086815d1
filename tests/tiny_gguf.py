"""A tiny random-weight Qwen3 GGUF written with the `gguf` package, so llama.cpp tests need no download.

What llama.cpp needs to load it (each learned the hard way):
- architecture `qwen3`, with per-head `attn_q_norm` / `attn_k_norm` tensors;
- a byte-level `gpt2` tokenizer with at least one merge (an empty merge list is silently
  dropped from the file, and then the vocabulary fails to load);
- special tokens typed CONTROL, so `<|im_end|>` ends generation and is never split;
- a chat template (`tokenizer.chat_template`), here ChatML, which the adapter must use.

`write_tiny_gguf` is also used with the real Qwen3-4B shape by scripts/bench_llama_gpu.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
MERGES = ("Ġ t", "e r", "i n", "M A", "R E")  # a few, to prove merges load; at least one is required


@dataclass(frozen=True)
class Shape:
    layers: int = 2
    hidden: int = 64
    heads: int = 4
    kv_heads: int = 2
    head_dim: int = 16
    ffn: int = 128
    vocab: int = 0  # 0: just the byte tokens, merges and specials; larger pads with filler tokens
    context: int = 32768  # declared training context; the adapter must not allocate it


TINY = Shape()
QWEN3_4B = Shape(layers=36, hidden=2560, heads=32, kv_heads=8, head_dim=128, ffn=9728, vocab=151936, context=262144)


def byte_tokens() -> list[str]:
    """GPT-2's byte-to-unicode alphabet: the 256 byte-level base tokens."""
    printable = (
        list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def vocabulary(size: int = 0) -> tuple[list[str], list[int], list[str]]:
    import gguf

    tokens = byte_tokens() + [m.replace(" ", "") for m in MERGES]
    if size:
        tokens += [f"<filler_{i}>" for i in range(size - len(tokens) - len(SPECIALS))]
    tokens += list(SPECIALS)
    types = [gguf.TokenType.NORMAL] * (len(tokens) - len(SPECIALS)) + [gguf.TokenType.CONTROL] * len(SPECIALS)
    return tokens, [int(t) for t in types], list(MERGES)


def write_tiny_gguf(
    path: str | Path,
    shape: Shape = TINY,
    *,
    seed: int = 0,
    quant: str = "F32",
    chat_template: str | None = CHATML,
    name: str = "tiny-qwen3",
) -> Path:
    """Write a qwen3 GGUF with random weights; `quant` is F32 or Q8_0 for the 2-D weights."""
    import gguf

    path = Path(path)
    tokens, types, merges = vocabulary(shape.vocab)
    rng = np.random.default_rng(seed)
    qtype = {"F32": None, "Q8_0": gguf.GGMLQuantizationType.Q8_0}[quant]
    writer = gguf.GGUFWriter(str(path), "qwen3")
    writer.add_name(name)
    writer.add_context_length(shape.context)
    writer.add_embedding_length(shape.hidden)
    writer.add_block_count(shape.layers)
    writer.add_feed_forward_length(shape.ffn)
    writer.add_head_count(shape.heads)
    writer.add_head_count_kv(shape.kv_heads)
    writer.add_key_length(shape.head_dim)
    writer.add_value_length(shape.head_dim)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32 if qtype is None else gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokens.index("<|endoftext|>"))
    writer.add_eos_token_id(tokens.index("<|im_end|>"))
    writer.add_pad_token_id(tokens.index("<|endoftext|>"))
    writer.add_add_bos_token(False)
    if chat_template:
        writer.add_chat_template(chat_template)

    def matrix(name: str, rows: int, cols: int):
        if qtype is None:
            weights = rng.standard_normal((rows, cols), dtype=np.float32) * 0.5
            if name == "token_embd.weight":  # tied output: zero rows give special tokens logit 0, so greedy
                weights[-len(SPECIALS) :] = 0  # decoding never ends on its own; a grammar still can end it
            writer.add_tensor(name, weights)
            return
        # Quantizing billions of random weights is slow; a random 64-row block, tiled, times the same.
        block = gguf.quants.quantize(rng.standard_normal((min(rows, 64), cols), dtype=np.float32) * 0.05, qtype)
        reps = -(-rows // block.shape[0])
        writer.add_tensor(name, np.tile(block, (reps, 1))[:rows], raw_dtype=qtype)

    def norm(name: str, size: int):
        writer.add_tensor(name, np.ones(size, dtype=np.float32))

    q_dim, kv_dim = shape.heads * shape.head_dim, shape.kv_heads * shape.head_dim
    matrix("token_embd.weight", len(tokens), shape.hidden)
    norm("output_norm.weight", shape.hidden)
    for i in range(shape.layers):
        block = f"blk.{i}."
        norm(block + "attn_norm.weight", shape.hidden)
        matrix(block + "attn_q.weight", q_dim, shape.hidden)
        matrix(block + "attn_k.weight", kv_dim, shape.hidden)
        matrix(block + "attn_v.weight", kv_dim, shape.hidden)
        matrix(block + "attn_output.weight", shape.hidden, q_dim)
        norm(block + "attn_q_norm.weight", shape.head_dim)
        norm(block + "attn_k_norm.weight", shape.head_dim)
        norm(block + "ffn_norm.weight", shape.hidden)
        matrix(block + "ffn_gate.weight", shape.ffn, shape.hidden)
        matrix(block + "ffn_up.weight", shape.ffn, shape.hidden)
        matrix(block + "ffn_down.weight", shape.hidden, shape.ffn)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
