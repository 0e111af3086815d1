"""Training examples: a suite's train split as chat records, with a validation slice held out by group.

The test split is never read. The system message is the prompt file the trained model's spec
will send, read the way the adapter reads it (byte for byte), so training and evaluation see
the same prompt. Validation takes whole groups (a question with its paraphrases and synonym
variants), so no wording of a validation question is trained on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..adapters.base import ModelSpec
from ..adapters.prompting import read_prompt
from ..errors import InputError
from ..suitegen.model import SuiteItem, open_suite


@dataclass(frozen=True)
class Example:
    id: str
    group_id: str
    messages: tuple  # ({"role", "content"}, ...) ending with the assistant answer


@dataclass
class TrainingData:
    suite: str
    suite_items_sha256: str
    graph_fingerprint: str | None
    system_prompt_file: str
    train: list[Example]
    validation: list[Example]

    def data_hash(self) -> str:
        """sha256 of the training records exactly as trained on (messages, in suite order)."""
        digest = hashlib.sha256()
        for example in self.train:
            digest.update(json.dumps(example.messages, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")
        return digest.hexdigest()


def group_in_validation(group_id: str, seed: int, fraction: float) -> bool:
    """A stable draw per group: the same groups are held out on every machine and run."""
    value = int.from_bytes(hashlib.sha256(f"{seed}:{group_id}".encode()).digest()[:8], "big")
    return value / 2**64 < fraction


def to_example(item: SuiteItem, system: str) -> Example:
    return Example(
        id=item.id,
        group_id=item.group_id,
        messages=(
            {"role": "system", "content": system},
            {"role": "user", "content": item.question},
            {"role": "assistant", "content": item.cypher},
        ),
    )


def load_training_data(
    suite_name: str, system_prompt_file: str, validation_fraction: float = 0.05, seed: int = 0, limit: int | None = None
) -> TrainingData:
    """Train and validation examples from the suite's train split (limit: the first N train items, for tests)."""
    if not 0 <= validation_fraction < 1:
        raise InputError(f"validation fraction must be in [0, 1), not {validation_fraction}")
    suite = open_suite(suite_name)
    # The prompt as the trained model's spec will resolve it: packaged prompts/ or a file in the models folder.
    system = read_prompt(ModelSpec(name="train", adapter="llama_cpp"), system_prompt_file)
    items = list(suite.items(split="train"))
    if limit is not None:
        items = items[:limit]
    if not items:
        raise InputError(f"suite {suite.name!r} has no train items to fine-tune on")
    train: list[Example] = []
    validation: list[Example] = []
    for item in items:
        held_out = validation_fraction > 0 and group_in_validation(item.group_id, seed, validation_fraction)
        (validation if held_out else train).append(to_example(item, system))
    if not train:
        raise InputError(f"suite {suite.name!r}: every train group fell in the validation slice; lower the fraction")
    return TrainingData(
        suite=suite.name,
        suite_items_sha256=suite.content_hash(),
        graph_fingerprint=suite.manifest.get("graph_fingerprint"),
        system_prompt_file=system_prompt_file,
        train=train,
        validation=validation,
    )
