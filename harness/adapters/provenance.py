"""Which weights a run used: the model file's sha256, checked against the spec's pin before loading.

Hashing a 4 GB GGUF takes seconds, so digests are cached in the harness cache folder
(`$HARNESS_CACHE/sha256.json`), keyed by the file's resolved path, size, mtime and inode:
a file replaced or rewritten in place gets a new key and is hashed again. The cache is only
an optimisation: unreadable or damaged, it is ignored and rewritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .._util.files import sha256_file
from ..errors import ModelUnavailable

CACHE_NAME = "sha256.json"
CACHE_ENTRIES = 256  # the newest are kept; a cache never grows with the number of files ever hashed


def _cache_path() -> Path:
    from ..paths import cache_dir

    return cache_dir() / CACHE_NAME


def _read_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ino}"


def cached_sha256(path: Path) -> str:
    """The file's sha256, from the cache when its path, size, mtime and inode are unchanged."""
    key = _key(path)
    cache_file = _cache_path()
    cache = _read_cache(cache_file)
    known = cache.get(key)
    if isinstance(known, str) and len(known) == 64:
        return known
    digest = sha256_file(path)
    if _key(path) != key:  # written to while we read it: do not cache a digest of a moving target
        return digest
    cache.pop(key, None)
    cache[key] = digest
    kept = dict(list(cache.items())[-CACHE_ENTRIES:])
    temporary = cache_file.with_name(f"{CACHE_NAME}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(kept), encoding="utf-8")
        os.replace(temporary, cache_file)
    except OSError:
        temporary.unlink(missing_ok=True)
    return digest


def verify_pinned(path: Path, pinned: str | None, what: str, where: str, fix: str) -> str:
    """The file's sha256; raises ModelUnavailable (one line) when it differs from the pinned one."""
    actual = cached_sha256(path)
    if pinned and actual != pinned.lower():
        raise ModelUnavailable(
            f"{path}: sha256 {actual[:16]}… differs from the {what} pinned in {where} ({pinned.lower()[:16]}…): {fix}"
        )
    return actual
