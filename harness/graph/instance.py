"""A running Neo4j the harness can talk to, and the record `db up` leaves behind."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._util.process import pid_alive
from ..errors import Neo4jUnavailable
from ..paths import home_dir

STATE_LOCK_WAIT_S = 300.0  # longer than a JVM takes to start (180 s at most)


@dataclass
class Neo4jInstance:
    backend: str
    uri: str
    version: str = ""
    user: str | None = None
    password: str | None = None
    pid: int | None = None
    container_id: str | None = None
    home: str | None = None
    log: str | None = None
    started_at: float = field(default_factory=time.time)
    owned: bool = True  # the harness created this database and may wipe it

    @property
    def auth(self):
        return (self.user, self.password) if self.user else None

    def alive(self) -> bool:
        if self.pid is not None:
            return pid_alive(self.pid)
        return True

    def log_tail(self, lines: int = 30) -> str:
        chunks = []
        for path in filter(None, [self.log, self.home and str(Path(self.home) / "logs" / "debug.log")]):
            if Path(path).exists():
                text = Path(path).read_text(errors="replace").splitlines()
                chunks.append(f"--- {path}\n" + "\n".join(text[-lines:]))
        return "\n".join(chunks)


def terminate_pid(pid: int, grace_s: float = 20.0) -> None:
    """SIGTERM (Neo4j shuts down cleanly), then SIGKILL after the grace period."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        except ChildProcessError:
            pass
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_pid(pid: int, wait_s: float = 10.0) -> None:
    """SIGKILL (works on a stopped process too) and wait until it is gone; reaps it if it is our child."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and pid_alive(pid):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)


def record_path() -> Path:
    return home_dir() / "instance.json"


def save_record(instance: Neo4jInstance) -> None:
    path = record_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(instance), indent=2))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load_record() -> Neo4jInstance | None:
    path = record_path()
    if not path.exists():
        return None
    try:
        return Neo4jInstance(**json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None


def clear_record() -> None:
    record_path().unlink(missing_ok=True)


@contextmanager
def state_lock(what: str, wait_s: float = STATE_LOCK_WAIT_S) -> Iterator[None]:
    """One `db up` or `db down` at a time per state folder: two at once would start two servers and record
    one, leaving the other running with its data folder. The second waits, then sees the first's record."""
    path = home_dir() / "state.lock"
    with open(path, "a+") as handle:
        started = time.monotonic()
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - started > wait_s:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise Neo4jUnavailable(
                        f"the state folder {path.parent} is held by {holder}; waited {wait_s:.0f}s: "
                        "let it finish, or stop that process"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} (`harness {what}`, since {time.strftime('%H:%M:%S')})")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
