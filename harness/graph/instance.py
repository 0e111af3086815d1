"""A running Neo4j the harness can talk to, and the record `db up` leaves behind."""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._util.process import pid_alive
from ..paths import home_dir


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
