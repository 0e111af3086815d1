"""Names given on the command line that become files or folders: plain names only.

A suite or model name is joined to a folder (`suites/<name>/`, `models/<name>.toml`); a
name such as `../escape` or `a/b` would write or read outside it. One validator for all.
"""

from __future__ import annotations

import re

from .errors import InputError

PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def plain_name(name: str, what: str = "name") -> str:
    """`name` unchanged if it is a plain folder name (letters, digits, `.`, `_`, `-`; no `/`, no `..`)."""
    if not PLAIN_NAME.fullmatch(name or "") or ".." in name:
        raise InputError(
            f"{what} {name!r} is not a plain name: use up to 100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (no '/' or '..')"
        )
    return name
