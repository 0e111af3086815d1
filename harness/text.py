"""Text from outside (models, replay files) made safe to store and send."""

from __future__ import annotations


def valid_text(text: str) -> str:
    """`text` with lone surrogates (e.g. a JSON "\\ud800" from a model or a replay file) replaced by U+FFFD:
    they cannot be encoded as UTF-8, so neither Neo4j nor SQLite would take them."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
