"""The system Chromium that shows the HTML report headless (the browser tests, and the script that
measures load time and takes the README's screenshot). Never a downloaded browser: Debian's
`chromium` package (`make browser`), or the binary named by $HARNESS_CHROMIUM."""

from __future__ import annotations

import os
import shutil

# No GPU, sandbox or background traffic: a headless page that talks to nothing but its own file.
HEADLESS_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def system_chromium() -> str | None:
    """The Chromium binary to drive, or None when there is none."""
    return os.environ.get("HARNESS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
