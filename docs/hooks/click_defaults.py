"""MkDocs hook: mkdocs-click prints click 8.2's "no default" sentinel as `Sentinel.UNSET`; show a dash."""

from __future__ import annotations


def on_page_content(html: str, **kwargs) -> str:
    return html.replace("Sentinel.UNSET", "–")
