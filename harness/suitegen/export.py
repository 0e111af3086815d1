"""Training export: chat-format SFT records for the fine-tuned model, from a suite's train split.

The system message is the packaged prompt the published model was trained with, byte for
byte (read as bytes, never re-encoded or stripped), the user message the question, the
assistant message the gold Cypher. Only train items are exported, so the test split
stays unseen.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from .._util.files import atomic_write
from ..errors import InputError
from ..outputs import check_output
from .model import open_suite

FORMATS = ("sft",)


def ft_system_prompt() -> str:
    return resources.files("harness.adapters").joinpath("prompts/ft_system_prompt.txt").read_bytes().decode("utf-8")


def sft_lines(suite_name: str, split: str = "train") -> list[str]:
    suite = open_suite(suite_name)
    system = ft_system_prompt()
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": item.question},
                    {"role": "assistant", "content": item.cypher},
                ]
            },
            ensure_ascii=False,
        )
        for item in suite.items(split=split)
    ]
    if not lines:
        raise InputError(f"suite {suite.name!r} has no {split} items to export")
    return lines


def export(suite_name: str, fmt: str = "sft", out: str | Path | None = None, split: str = "train") -> tuple[str, int]:
    """The export text and record count; written atomically to `out` when given."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r} (choose {', '.join(FORMATS)})")
    lines = sft_lines(suite_name, split)
    text = "".join(line + "\n" for line in lines)
    if out:
        atomic_write(check_output(out, "export"), text)
    return text, len(lines)
