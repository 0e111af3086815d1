"""Whether a results database can be trusted and used now: whole, readable in full, not held by another process.

Every failure here is one `HarnessError` line that says what is wrong and what to do:
- damage (garbage in a page, missing index rows) is found by `PRAGMA integrity_check` (or, for a
  file over FULL_CHECK_MAX_BYTES, `quick_check`) when a store is opened, within QUICK_CHECK_BUDGET_S (a database too large to check in that time is used
  unchecked rather than making every command slow); the message names `PRAGMA integrity_check`
  and the recovery, `sqlite3 .recover`;
- a database on a read-only mount with a write-ahead log beside it is opened so the log is read
  (`mode=ro`), never `immutable` (which would silently drop every item still in the log), and
  refused when SQLite cannot read the log there;
- a lock held too long names the processes that hold it (Linux /proc/locks) and how long they have run,
  and says how long this process really waited.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import HarnessError

QUICK_CHECK_BUDGET_S = 2.0
FULL_CHECK_MAX_BYTES = 32 * 1024 * 1024  # below this, integrity_check (also index vs table) fits the budget
BUSY_TIMEOUT_S = 5.0


class StoreUnavailable(HarnessError):
    """The store cannot take a write now (locked by another process, disk full, I/O error): the run is
    interrupted, not failed, and `--resume` continues it once the cause is gone."""


def damaged(path: Path, detail: str) -> HarnessError:
    return HarnessError(
        f"{path} is damaged ({' '.join(detail.split())[:200]}): see the damage with "
        f"`sqlite3 {path} 'PRAGMA integrity_check'`; recover what is left with "
        f"`sqlite3 {path} .recover | sqlite3 recovered.db` (`.dump` where .recover fails) and use --db recovered.db"
    )


def quick_check(conn: sqlite3.Connection, path: Path, budget_s: float = QUICK_CHECK_BUDGET_S) -> bool:
    """Raise on damage; True when checked, False when the check did not finish within `budget_s`.

    A small file gets `integrity_check` (which also finds index rows missing for table rows, so
    counts by outcome would be wrong); a larger one `quick_check` (pages, records, no index content).
    """
    deadline = time.monotonic() + budget_s
    size = path.stat().st_size if path.exists() else 0
    pragma = "integrity_check" if size <= FULL_CHECK_MAX_BYTES else "quick_check"
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 20_000)
    try:
        rows = conn.execute(f"PRAGMA {pragma}(20)").fetchall()
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            return False
        raise
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise  # not a SQLite file at all: store_error says so
        raise damaged(path, str(exc)) from None
    finally:
        conn.set_progress_handler(None, 0)
    problems = [row[0] for row in rows if row[0] != "ok"]
    if problems:
        more = f" and {len(problems) - 1} more problems" if len(problems) > 1 else ""
        raise damaged(path, f"{problems[0]}{more}")
    return True


def sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def open_readonly(path: Path) -> sqlite3.Connection:
    """A connection that sees every committed row of a database this process may not write."""
    uri = path.resolve().as_uri().replace("file://", "file:", 1)
    wal = sidecar(path, "-wal")
    if not (wal.exists() and wal.stat().st_size > 0):  # no log: immutable is exact, and needs no lock
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise HarnessError(
            f"{path} cannot be read whole here: its write-ahead log {wal.name} holds results not yet in the "
            f"file, and SQLite cannot read the log in this read-only place ({exc}); copy {path.name} with "
            f"{wal.name} (and {path.name}-shm) to a writable folder and report from there"
        ) from None
    return conn


def _inode(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return os.major(st.st_dev), os.minor(st.st_dev), st.st_ino


def lock_holders(path: Path) -> list[int]:
    """Other processes holding POSIX locks on the database or its -shm (what SQLite locks), from /proc/locks."""
    inodes = {i for i in (_inode(path), _inode(sidecar(path, "-shm"))) if i}
    holders: list[int] = []
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return holders
    for line in lines:
        fields = line.split()
        if "->" in fields or len(fields) < 6 or fields[1] not in ("POSIX", "OFDLCK"):
            continue  # a waiter, not a holder; or a lock of another kind
        try:
            pid = int(fields[4])
            major, minor, inode = fields[5].split(":")
            key = (int(major, 16), int(minor, 16), int(inode))
        except ValueError:
            continue
        if key in inodes and pid > 0 and pid != os.getpid() and pid not in holders:
            holders.append(pid)
    return holders


def describe_process(pid: int) -> str:
    """`pid 123 (harness run --model gold ..., running 4m10s)`, as far as /proc tells."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        age = max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return f"pid {pid}"
    short = command if len(command) <= 80 else command[:77] + "..."
    return f"pid {pid} ({short}, running {int(age // 60)}m{int(age % 60):02d}s)"


def store_error(path: Path, exc: sqlite3.DatabaseError, waited_s: float | None = None) -> HarnessError:
    """One line for a SQLite failure: locked (by whom, for how long), full, damaged, or not a results database."""
    message = str(exc)
    if "locked" in message or "busy" in message:
        holders = [describe_process(pid) for pid in lock_holders(path)]
        who = "; ".join(holders) if holders else "another process (its pid is not visible here)"
        waited = f"waited {waited_s:.1f}s" if waited_s is not None else "waited"
        return StoreUnavailable(
            f"{path} is locked by {who} ({waited}; a write waits at most {BUSY_TIMEOUT_S:g}s): "
            "wait for it to finish or use another --db"
        )
    if "disk is full" in message or "disk I/O error" in message:
        return StoreUnavailable(f"{path}: cannot write ({message}): free space on its disk")
    if "malformed" in message or "corrupt" in message:
        return damaged(path, message)
    if "not a database" in message:
        return HarnessError(f"{path} is not a harness results database ({message})")
    return HarnessError(f"{path}: {message}")


@contextmanager
def database_errors(path: Path) -> Iterator[None]:
    """sqlite3's errors while reading a results database, as one line naming the file and the recovery."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise store_error(path, exc) from None
