"""Where the harness keeps state (running instances) and caches (Neo4j jars)."""

import os
from pathlib import Path


def home_dir() -> Path:
    """State folder: records of running Neo4j instances and their data."""
    path = Path(os.environ.get("HARNESS_HOME") or Path.home() / ".local" / "state" / "oncograph-harness")
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Cache folder shared by all runs: resolved Neo4j jars, compiled launcher."""
    path = Path(os.environ.get("HARNESS_CACHE") or Path.home() / ".cache" / "oncograph-harness")
    path.mkdir(parents=True, exist_ok=True)
    return path
