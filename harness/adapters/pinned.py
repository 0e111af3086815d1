"""Weights already in place: the shared first step of every way `models pull` fetches a file."""

from __future__ import annotations

from pathlib import Path

from .._util.files import sha256_file


def present_and_pinned(spec, dest: Path, echo) -> bool:
    """A file already in place whose content matches the pinned sha256 needs no network."""
    if dest.is_file() and spec.options.get("sha256") and sha256_file(dest) == str(spec.options["sha256"]).lower():
        echo(f"{dest}: present, sha256 matches")
        return True
    return False
