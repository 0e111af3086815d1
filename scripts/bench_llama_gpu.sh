#!/usr/bin/env bash
# GPU benchmark of llama.cpp with a Qwen3-4B-shaped Q8_0 GGUF (see scripts/bench_llama_gpu.py).
# Run on a machine with an NVIDIA GPU, the CUDA toolkit (nvcc) and network access to PyPI:
#   bash scripts/bench_llama_gpu.sh                 # builds a CUDA venv in .cache/venv-cuda, then benchmarks
#   bash scripts/bench_llama_gpu.sh --slots 1,8,32  # extra arguments go to the Python script
# llama-cpp-python compiles llama.cpp from source here (5-15 minutes) with the CUDA backend.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${BENCH_VENV:-.cache/venv-cuda}  # git-ignored
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import llama_cpp, sys; sys.exit(0 if llama_cpp.llama_supports_gpu_offload() else 1)' 2>/dev/null; then
    command -v nvcc >/dev/null || { echo "nvcc not found: install the CUDA toolkit (or put it on PATH)" >&2; exit 1; }
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    CMAKE_ARGS="-DGGML_CUDA=on ${CMAKE_ARGS:-}" FORCE_CMAKE=1 \
        "$venv/bin/pip" install --no-cache-dir --force-reinstall --no-binary llama-cpp-python \
        'llama-cpp-python>=0.3.16,<0.4' 'gguf>=0.17,<1' numpy tabulate
fi
"$venv/bin/python" -c 'import llama_cpp, sys; sys.exit(0 if llama_cpp.llama_supports_gpu_offload() else "llama-cpp-python was built without a GPU backend")'
exec "$venv/bin/python" scripts/bench_llama_gpu.py "$@"
