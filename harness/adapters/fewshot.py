"""Few-shot prompting: the k nearest TRAIN-split items (question and gold Cypher) as worked examples.

Neighbours come from the retrieval baseline's similarity (`retrieval.TrainIndex`: entity-masked
token overlap), chosen per question. Only the train split is indexed and the item itself is
excluded, so a test item never shows up as an example (and a train-split run never sees its own
answer). Examples are ordered least to most similar, so the nearest sits right before the
question. Two formats: `turns` (each example a user/assistant exchange before the question) and
`inline` (one text block, "Question: ... / Cypher: ..." pairs, for single-prompt back ends).
"""

from __future__ import annotations

import threading
from typing import Literal

from pydantic import Field

from .base import AdapterOptions
from .retrieval import TrainIndex, context_suite_and_driver

SELECTOR = "retrieval similarity: entity-masked token overlap, then word pairs; ties to the smallest id"


class FewShotOptions(AdapterOptions):
    """Options of every adapter that can prompt with examples."""

    fewshot_k: int = Field(0, ge=0, le=32, description="Train-split examples per question (0: zero-shot).")
    fewshot_format: Literal["turns", "inline"] = Field(
        "turns", description="turns: user/assistant exchanges before the question; inline: one text block."
    )


class FewShot:
    """Per-adapter example selection; built lazily because indexing reads the graph's names."""

    def __init__(self, spec, options: FewShotOptions, context):
        self.k = options.fewshot_k
        self.format = options.fewshot_format
        self.context = context
        self._index: TrainIndex | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.k > 0

    def prepare(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._index is None:
                suite, driver = context_suite_and_driver(self.context, "few-shot prompting")
                self._index = TrainIndex(suite, driver, "train")

    def examples(self, item) -> list[tuple[str, str, str]]:
        """(train item id, question, gold Cypher) of the k nearest train items, least similar first."""
        if not self.enabled:
            return []
        self.prepare()
        assert self._index is not None
        ranked = self._index.ranked(item.question, self.k, exclude=frozenset([item.id]))
        return [(found.id, found.question, found.cypher) for found, _, _ in reversed(ranked)]

    def describe(self) -> dict | None:
        """What the run records: k, format and where the examples come from."""
        if not self.enabled:
            return None
        self.prepare()
        return {"k": self.k, "format": self.format, "split": "train", "selector": SELECTOR}

    def chat(self, system: str | None, question: str, examples) -> list[dict]:
        """Chat messages: system, the examples (as turns, or inline in the user message), the question."""
        messages = [{"role": "system", "content": system}] if system is not None else []
        if examples and self.format == "turns":
            for _, example_question, cypher in examples:
                messages += [{"role": "user", "content": example_question}, {"role": "assistant", "content": cypher}]
        elif examples:
            question = inline_block(examples) + f"Question: {question}\nCypher:"
        return messages + [{"role": "user", "content": question}]


def inline_block(examples) -> str:
    """Examples as text, for prompts that are one string (and the `inline` chat format)."""
    if not examples:
        return ""
    pairs = "".join(f"Question: {q}\nCypher: {c}\n\n" for _, q, c in examples)
    return f"Examples of questions and their Cypher:\n\n{pairs}"
