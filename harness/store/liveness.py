"""Who owns a running run (written by the runner, read by listings), and whether it is still alive.

A run row says `running` from its first item to its last; if its process dies without a
chance to say otherwise (SIGKILL, a native crash, a power cut), the row would say `running`
forever. So each run records its owner (host, pid, and the process's start time, which tells a
recycled pid from the original) and a heartbeat written every HEARTBEAT_S seconds by a
background thread. A `running` run counts as `abandoned` when its owner process is gone (same
host), or when its heartbeat is older than STALE_S (another host sharing the database).
Listings show it as `abandoned`, and `harness run --resume` takes it over.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import socket
import sqlite3
import threading
from pathlib import Path

from .._util.clock import now
from .._util.process import pid_alive
from ..errors import HarnessError
from .records import RunRecord

HEARTBEAT_S = 10.0
STALE_S = 120.0
ABANDONED = "abandoned"


def process_start(pid: int) -> str | None:
    """The process's start time (boot id + clock ticks since boot, from /proc), or None off Linux."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    return f"{boot}:{stat.rsplit(')', 1)[1].split()[19]}"  # field 22, counted after the command name


def owner_fields() -> dict:
    """The columns that make this process the run's owner (written when a run starts or resumes)."""
    pid = os.getpid()
    return {
        "owner_host": socket.gethostname(),
        "owner_pid": pid,
        "owner_started": process_start(pid),
        "heartbeat_at": now(),
    }


def owner_alive(run: RunRecord) -> bool:
    """Whether the process that owns a `running` run still runs it."""
    if not run.owner_pid:
        return False  # every run since owners were recorded has one: a row without one is left over
    if run.owner_host == socket.gethostname():
        pid = int(run.owner_pid)
        if not pid_alive(pid):
            return False
        started = run.owner_started
        return started is None or process_start(pid) in (None, started)
    beat = run.heartbeat_at
    if not beat:
        return False
    age = datetime.datetime.now(datetime.timezone.utc) - datetime.datetime.fromisoformat(beat)
    return age.total_seconds() < STALE_S


def observed(run: RunRecord) -> RunRecord:
    """The run as listings should show it: a `running` run whose owner is gone is `abandoned`."""
    if run.status == "running" and not owner_alive(run):
        return dataclasses.replace(run, status=ABANDONED)
    return run


def describe_owner(run: RunRecord) -> str:
    return f"pid {run.owner_pid} on {run.owner_host}"


class Heartbeat:
    """Refreshes runs.heartbeat_at from a background thread, on its own SQLite connection."""

    def __init__(self, db_path: Path, run_id: str, interval_s: float = HEARTBEAT_S):
        self.db_path, self.run_id, self.interval_s = db_path, run_id, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                with sqlite3.connect(self.db_path, timeout=5) as conn:
                    conn.execute("update runs set heartbeat_at = ? where id = ?", [now(), self.run_id])
                conn.close()
            except sqlite3.Error:
                pass  # a busy database skips one beat; STALE_S spans many


def check_not_running_elsewhere(run: RunRecord) -> None:
    """Resuming takes a run over: refuse while its owner still runs it."""
    if run.status == "running" and owner_alive(run):
        raise HarnessError(
            f"run {run.id} is still running ({describe_owner(run)}): wait for it to finish, or stop that process"
        )
