"""Weights already in place: the shared first step of every way `models pull` fetches a file."""

from __future__ import annotations

from pathlib import Path

from .provenance import cached_sha256


def present_and_pinned(spec, dest: Path, echo) -> bool:
    """A file already in place whose content matches the pinned sha256 needs no network."""
    if dest.is_file() and spec.options.get("sha256") and cached_sha256(dest) == str(spec.options["sha256"]).lower():
        echo(f"{dest}: present, sha256 matches")
        return True
    return False
