"""`replay`: recorded outputs from a JSONL file of {"id": ..., "output": ...} (re-scoring, CI)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field

from ..errors import InputError, ModelUnavailable
from .base import Adapter, AdapterOptions, Generation


def read_replay_file(path: str | Path) -> dict[str, dict]:
    path = Path(path)
    records: dict[str, dict] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: replay file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} line {number}: bad JSON ({exc.msg})") from None
        if not isinstance(record, dict) or "id" not in record or "output" not in record:
            raise InputError(f'{path} line {number}: expected an object with "id" and "output"')
        if str(record["id"]) in records:
            raise InputError(f"{path} line {number}: duplicate id {record['id']!r}")
        records[str(record["id"])] = record
    if not records:
        raise InputError(f'{path}: no records (expected JSONL lines of {{"id": ..., "output": ...}})')
    return records


class ReplayOptions(AdapterOptions):
    file: str | None = Field(None, description="JSONL of {id, output} (else --replay FILE).")


class ReplayAdapter(Adapter):
    name = "replay"
    Options = ReplayOptions
    needs = "a replay file (--replay FILE)"
    max_concurrency = 64

    def __init__(self, spec, context=None):
        super().__init__(spec, context)
        path = self.context.replay or self.options.file
        if not path:
            raise ModelUnavailable(
                'the replay model needs a file: pass --replay FILE (JSONL of {"id": ..., "output": ...})'
            )
        self.records = read_replay_file(path)
        self.path = str(path)

    def check_ids(self, item_ids: set[str]) -> None:
        unknown = sorted(set(self.records) - item_ids)
        if unknown:
            raise InputError(f"{self.path}: {len(unknown)} id(s) not in the suite, e.g. {', '.join(unknown[:3])}")

    def describe(self):
        return {"replay_file": self.path, "replay_records": len(self.records)}

    def generate(self, item):
        record = self.records.get(item.id)
        if record is None:
            return Generation(infra_error=f"no recorded output for item {item.id} in {self.path}")
        output = record["output"]
        return Generation(
            output=None if output is None else str(output),
            gen_ms=record.get("gen_ms"),
            output_tokens=record.get("output_tokens"),
            prompt_tokens=record.get("prompt_tokens"),
        )
