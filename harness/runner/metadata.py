"""What a run records about where it ran: versions, commit, host, options."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from pathlib import Path

from .. import __version__


def git_commit() -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return result.stdout.strip() if result.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def host() -> str:
    return f"{platform.node()} ({platform.system()} {platform.machine()}, Python {platform.python_version()})"


def options_key(model_spec: dict, suite_hash: str, options: dict) -> str:
    """Runs are resumable only with the same model spec, suite content and judging options."""
    payload = json.dumps({"spec": model_spec, "suite": suite_hash, "options": options}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


HARNESS_VERSION = __version__
