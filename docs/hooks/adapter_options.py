"""MkDocs hook: the adapter reference page lists every registered adapter's options from its pydantic model.

A page that contains the line `<!-- adapter-options -->` gets, in its place, one table per adapter
(option, type, default, bounds, description), so the reference cannot drift from the code.
"""

from __future__ import annotations

MARKER = "<!-- adapter-options -->"


def _bounds(field) -> str:
    parts = []
    for constraint in field.metadata:
        for name, symbol in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(constraint, name, None)
            if value is not None:
                parts.append(f"{symbol} {value}")
    return ", ".join(parts)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render() -> str:
    from harness.adapters.registry import registered

    blocks = []
    for name, entry in sorted(registered().items()):
        adapter = entry.load()
        header = f"### `{name}`\n\nFrom `{entry.dist}`, class `{entry.target}`."
        if entry.extras:
            header += f" Needs the extra `[{','.join(entry.extras)}]`."
        if adapter.needs:
            header += f" Needs to run: {adapter.needs}."
        rows = ["| option | type | default | bounds | description |", "|---|---|---|---|---|"]
        for option, field in adapter.Options.model_fields.items():
            annotation = getattr(field.annotation, "__name__", None) or str(field.annotation).replace("typing.", "")
            default = "required" if field.is_required() else repr(field.get_default(call_default_factory=True))
            rows.append(
                f"| `{option}` | `{_cell(annotation)}` | `{_cell(default)}` | {_bounds(field)} | {_cell(field.description or '')} |"
            )
        body = "\n".join(rows) if len(rows) > 2 else "No options."
        blocks.append(f"{header}\n\n{body}\n")
    return "\n".join(blocks)


def on_page_markdown(markdown: str, **kwargs) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render())
