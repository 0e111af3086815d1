"""llama.cpp's Python converters, taken from the llama-cpp-python source distribution on PyPI.

The sdist vendors llama.cpp (`vendor/llama.cpp/convert_hf_to_gguf.py`, `convert_lora_to_gguf.py`
and `gguf-py`), so no git clone is needed: pip downloads it (its index, proxy and cache settings
apply), and only the converters are unpacked, once, into the cache. The version is the installed
llama-cpp-python's, so the converter writes what the runtime reads.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..errors import ModelUnavailable
from ..paths import cache_dir

PIP_TIMEOUT_S = 900
WANTED = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "conversion/", "gguf-py/")


def installed_version() -> str:
    try:
        from importlib.metadata import version

        return version("llama-cpp-python")
    except Exception:
        raise ModelUnavailable("llama-cpp-python is not installed: pip install 'oncograph-harness[llama]'") from None


def llama_cpp_dir(version: str | None = None) -> Path:
    """The unpacked vendor/llama.cpp converters for `version` (default: the installed one), fetched once."""
    version = version or installed_version()
    folder = cache_dir() / "llama-cpp-src" / version
    if all((folder / part).exists() for part in ("convert_lora_to_gguf.py", "conversion", "gguf-py/gguf")):
        return folder
    with tempfile.TemporaryDirectory(prefix="llama-sdist-") as tmp:
        sdist = download_sdist(version, Path(tmp))
        unpack_converters(sdist, folder)
    return folder


def download_sdist(version: str, folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    command += ["--dest", str(folder), f"llama-cpp-python=={version}"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, cwd=folder)
    except subprocess.TimeoutExpired:
        raise ModelUnavailable(
            f"pip download of the llama-cpp-python {version} sdist took over {PIP_TIMEOUT_S} s"
        ) from None
    found = sorted(folder.glob("llama_cpp_python-*.tar.gz"))
    if not found:  # pip may fail preparing metadata after the download; the archive is what we need
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        raise ModelUnavailable(
            f"cannot download the llama-cpp-python {version} source distribution with pip "
            f"({(lines or ['no output'])[-1].strip()}); connect or set PIP_INDEX_URL and try again"
        )
    return found[0]


def unpack_converters(sdist: Path, dest: Path) -> None:
    """Extract only vendor/llama.cpp's converters and gguf-py, into a temporary folder renamed into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/", 3)  # llama_cpp_python-X/vendor/llama.cpp/<rest>
            if len(parts) < 4 or parts[1:3] != ["vendor", "llama.cpp"] or not parts[3].startswith(WANTED):
                continue
            if not (member.isfile() or member.isdir()):
                continue
            member.name = parts[3]
            archive.extract(member, staging, filter="data")
    if not (staging / "convert_lora_to_gguf.py").is_file():
        raise ModelUnavailable(f"{sdist.name} has no vendor/llama.cpp/convert_lora_to_gguf.py")
    if dest.exists():
        import shutil

        shutil.rmtree(dest)
    staging.rename(dest)


def run_converter(script: str, args: list[str], version: str | None = None) -> str:
    """Run one converter with this interpreter and the sdist's own gguf-py first on the path."""
    import os

    folder = llama_cpp_dir(version)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder / "gguf-py"), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, str(folder / script), *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise ModelUnavailable(f"llama.cpp's {script} failed (exit {result.returncode})", detail=tail)
    return result.stdout + result.stderr
