"""MkDocs hook: the site's home page is the README, so the two cannot disagree.

docs/index.md holds only the marker `<!-- readme -->`; the README's links into `docs/` are made
relative to the site.
"""

from __future__ import annotations

from pathlib import Path

MARKER = "<!-- readme -->"


def on_page_markdown(markdown: str, page, config, **kwargs) -> str:
    if MARKER not in markdown:
        return markdown
    readme = Path(config["config_file_path"]).parent / "README.md"
    return markdown.replace(MARKER, readme.read_text(encoding="utf-8").replace("](docs/", "]("))
