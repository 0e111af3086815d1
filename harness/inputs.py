"""Limits on every JSON file the harness reads, and how values appear in messages.

One owner for the bounds, so every reader (suite files, suite import, results import,
replay files, gate baselines, `--items`) refuses the same hostile input the same way:
one `InputError` naming the file and line, never a RecursionError, OverflowError or a
message as long as the value that caused it.

- depth: containers nested at most MAX_DEPTH levels (Python's parser recurses per level);
- size: a line (JSONL) or a whole file (JSON) at most MAX_LINE_BYTES / MAX_FILE_BYTES;
- numbers: integers within SQLite's 64 bits, no NaN or Infinity;
- count: at most MAX_RECORDS lines of records in one file;
- ids: printable text (no newline, tab or NUL), 1 to MAX_ID_CHARS characters.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import InputError

MAX_DEPTH = 64
MAX_LINE_BYTES = 512 * 1024 * 1024  # one recorded item with 1,000,000 rows on each side is ~60 MB
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_RECORDS = 10_000_000
MAX_ID_CHARS = 256
MAX_INT = 2**63 - 1  # SQLite's INTEGER; a larger count would fail at the insert, mid-run
SHOWN_CHARS = 80  # of a value quoted in a message
MESSAGE_CHARS = 2000  # of a whole `Error:` line: the net under every message that quotes input


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """repr(value) cut to about `limit` characters, saying how long it was."""
    text = repr(value) if not isinstance(value, str) else repr(value[: limit + 1])
    if isinstance(value, str) and len(value) > limit:
        return f"{repr(value[:limit])[:-1]}…' ({len(value):,} characters)"
    return text if len(text) <= limit + 2 else f"{text[:limit]}… ({len(text):,} characters)"


def cut_message(text: str) -> str:
    """An error message no longer than MESSAGE_CHARS, saying how much was cut."""
    if len(text) <= MESSAGE_CHARS:
        return text
    return f"{text[:MESSAGE_CHARS]}… ({len(text) - MESSAGE_CHARS:,} more characters cut)"


def check_id(value: Any, where: str, what: str = "id") -> str:
    """An item id as text: printable, no newline or NUL, at most MAX_ID_CHARS characters."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"{where}: {what} must be a string, not {type(value).__name__}")
    text = str(value)
    if not text:
        raise InputError(f"{where}: empty {what}")
    if len(text) > MAX_ID_CHARS:
        raise InputError(f"{where}: {what} {shown(text)} is longer than {MAX_ID_CHARS} characters")
    if not text.isprintable():
        raise InputError(
            f"{where}: {what} {shown(text)} has a control character (newline, tab or NUL): ids must be printable"
        )
    return text


def _int(text: str) -> int:
    # the digit count first: int() of a 10,000-digit string is refused by Python itself
    value = int(text) if len(text.lstrip("-")) <= 19 else MAX_INT + 1
    if abs(value) > MAX_INT:
        raise ValueError(f"integer {shown(text, 30)} is outside 64 bits")
    return value


def _constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def check_depth(value: Any, where: str) -> None:
    """Containers nested at most MAX_DEPTH levels, walked level by level (no recursion, no per-value tuples)."""
    level = [value]
    for _ in range(MAX_DEPTH):
        deeper = [c for d in level if type(d) is dict for c in d.values() if type(c) is dict or type(c) is list]
        deeper += [c for x in level if type(x) is list for c in x if type(c) is dict or type(c) is list]
        if not deeper:
            return
        level = deeper
    raise InputError(f"{where}: JSON nested deeper than {MAX_DEPTH} levels")


def parse_json(text: str, where: str) -> Any:
    """One JSON value within the limits; every violation is an InputError naming `where`."""
    try:
        value = json.loads(text, parse_int=_int, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: bad JSON ({exc.msg} at column {exc.colno})") from None
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested deeper than {MAX_DEPTH} levels") from None
    if isinstance(value, (dict, list)):
        check_depth(value, where)
    return value


def read_json_file(path: Path, what: str = "JSON file") -> Any:
    """A whole JSON file (baselines, manifests), its size checked before it is read."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: {size:,} bytes, over the {MAX_FILE_BYTES:,} a {what} may have")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    return parse_json(text, str(path))


def iter_json_lines(path: Path, only: set[int] | None = None) -> Iterator[tuple[str, int, Any]]:
    """(where, line number, parsed JSON) per non-blank line of a JSONL file, each within the limits
    (`only`: just those line numbers, the others are skipped unparsed).

    Lines are read with a size cap, so a file of one endless line never fills memory.
    """
    records = 0
    try:
        with open(path, encoding="utf-8") as handle:
            number = 0
            while True:
                line = handle.readline(MAX_LINE_BYTES + 1)
                if not line:
                    break
                number += 1
                where = f"{path} line {number}"
                if len(line) > MAX_LINE_BYTES:
                    raise InputError(f"{where}: longer than {MAX_LINE_BYTES:,} characters")
                if not line.strip() or (only is not None and number not in only):
                    continue
                records += 1
                if records > MAX_RECORDS:
                    raise InputError(f"{where}: more than {MAX_RECORDS:,} records in one file")
                yield where, number, parse_json(line, where)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: a directory, not a file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def not_a_file(path: Path) -> str:
    """What a path that exists but is no regular file is, in words."""
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
