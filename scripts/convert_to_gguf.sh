#!/usr/bin/env bash
# Build a GGUF from a Hugging Face model published as safetensors, with llama.cpp's own tools.
#
#   scripts/convert_to_gguf.sh HF_REPO OUT.gguf [TYPE]
#   scripts/convert_to_gguf.sh ib565/qwen3-4b-ft-oncograph-16bit models/qwen3-4b-ft-oncograph-q8_0.gguf q8_0
#
# TYPE: q8_0 (default), f16, bf16 or f32 come straight from convert_hf_to_gguf.py; k-quants
# (q4_k_m, q5_k_m, q6_k, ...) are made from an f16 GGUF with llama-quantize, built here (CPU only).
# The GGUF keeps the repo's chat template (tokenizer.chat_template), which the harness uses as is.
#
# llama.cpp comes from the llama-cpp-python source distribution on PyPI (it vendors llama.cpp, with
# its converters, gguf-py and C++ sources), fetched with pip: no git clone.
# Needs python3 (3.10+), pip, cmake and a C++ compiler (k-quants only), ~3x the model size on disk.
# Environment: LLAMA_CPP_DIR (unpacked llama.cpp, default ~/.cache/oncograph-harness/llama.cpp-VERSION),
# LLAMA_CPP_PYTHON_VERSION (default: the one installed in .venv, else 0.3.36), HF_TOKEN (private/gated repos).
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
repo=$1; out=$2; type=$(echo "${3:-q8_0}" | tr '[:upper:]' '[:lower:]')
cache=${HARNESS_CACHE:-$HOME/.cache/oncograph-harness}
here=$(cd "$(dirname "$0")/.." && pwd)
version=${LLAMA_CPP_PYTHON_VERSION:-$("$here/.venv/bin/python" -c 'from importlib.metadata import version; print(version("llama-cpp-python"))' 2>/dev/null || echo 0.3.36)}
llama=${LLAMA_CPP_DIR:-$cache/llama.cpp-$version}
hf_dir=$cache/hf/${repo//\//__}
venv=$cache/convert-venv
mkdir -p "$cache" "$(dirname "$out")"

# 1. llama.cpp from the llama-cpp-python sdist: the converter (Python) and, for k-quants, llama-quantize (C++)
if [ ! -f "$llama/convert_hf_to_gguf.py" ]; then
    tmp=$(mktemp -d)
    python3 -m pip download -q --no-deps --no-binary :all: --dest "$tmp" "llama-cpp-python==$version"
    mkdir -p "$llama.part"
    tar -xzf "$tmp"/llama_cpp_python-*.tar.gz -C "$llama.part" --strip-components 3 \
        "llama_cpp_python-$version/vendor/llama.cpp"
    rm -rf "$tmp" && mv "$llama.part" "$llama"
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    # CPU torch is enough to read safetensors; the converter's own requirements file pins the rest
    "$venv/bin/pip" install -q --extra-index-url https://download.pytorch.org/whl/cpu \
        -r "$llama/requirements/requirements-convert_hf_to_gguf.txt" huggingface_hub
fi

# 2. the safetensors snapshot (huggingface_hub resumes partial downloads)
"$venv/bin/python" - "$repo" "$hf_dir" <<'PY'
import sys
from huggingface_hub import snapshot_download
snapshot_download(sys.argv[1], local_dir=sys.argv[2],
                  allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "tokenizer*"])
PY

# 3. convert (and quantize)
case "$type" in
    q8_0|f16|bf16|f32)
        "$venv/bin/python" "$llama/convert_hf_to_gguf.py" "$hf_dir" --outfile "$out" --outtype "$type" ;;
    *)
        f16="${out%.gguf}.f16.gguf"
        "$venv/bin/python" "$llama/convert_hf_to_gguf.py" "$hf_dir" --outfile "$f16" --outtype f16
        if [ ! -x "$llama/build/bin/llama-quantize" ]; then
            cmake -S "$llama" -B "$llama/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF >/dev/null
            cmake --build "$llama/build" --target llama-quantize -j "$(nproc 2>/dev/null || echo 4)"
        fi
        "$llama/build/bin/llama-quantize" "$f16" "$out" "$(echo "$type" | tr '[:lower:]' '[:upper:]')"
        rm -f "$f16" ;;
esac

sum=$(sha256sum "$out" | cut -d' ' -f1)
echo "wrote $out ($(du -h "$out" | cut -f1)), sha256 $sum"
echo "pin it in the model spec: sha256 = \"$sum\""
