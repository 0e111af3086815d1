"""Files a command writes: never over a suite, a baseline or a results database by accident."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

SQLITE_MAGIC = b"SQLite format 3\x00"


def is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def check_output(path: str | Path, what: str, *, force: bool = False, keep_existing: bool = False) -> Path:
    """Refuse to write `what` over a results database (unless `force`) or, with `keep_existing`,
    over any existing file (a baseline) unless `force`. Returns the path."""
    target = Path(path)
    if target.exists() and not force:
        if is_sqlite(target):
            raise InputError(f"{target} is a SQLite database; refusing to overwrite it with the {what}")
        if keep_existing:
            raise InputError(f"{target} already exists; pass --force to replace the {what}")
    return target
