"""Writing and hashing files: atomic replacement and streamed sha256."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def atomic_write(path: Path, text: str) -> None:
    """Write to a temporary sibling, then rename over `path` (same file system, so atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()
