"""`replay`: recorded outputs from a JSONL file of {"id": ..., "output": ...} (re-scoring, CI)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ..errors import InputError, ModelUnavailable
from ..inputs import check_id, iter_json_lines, shown
from .base import Adapter, AdapterOptions, Generation


def read_replay_file(path: str | Path) -> dict[str, dict]:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: replay file not found")
    records: dict[str, dict] = {}
    for where, _, record in iter_json_lines(path):
        if not isinstance(record, dict) or "id" not in record or "output" not in record:
            raise InputError(f'{where}: expected an object with "id" and "output"')
        item_id = check_id(record["id"], where)
        if item_id in records:
            raise InputError(f"{where}: duplicate id {shown(item_id)}")
        for name in ("gen_ms", "output_tokens", "prompt_tokens"):
            value = record.get(name)
            whole = name != "gen_ms"
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or value < 0
            ):
                raise InputError(f"{where}: {name} must be a {'whole ' if whole else ''}number >= 0")
        records[item_id] = record
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
            raise InputError(
                f"{self.path}: {len(unknown)} id(s) not in the suite, e.g. {', '.join(shown(i) for i in unknown[:3])}"
            )

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
