"""Reading OncoGraph's per-item evaluation files (`<model>_checkpoint.jsonl`), checked line by line.

Each line is one item and model: `id, question, gold_cypher, generated_cypher,
syntactic_valid, execution_success, result_match, error, latency_ms, input_tokens,
output_tokens[, tokens_per_second], gold_rows, generated_rows` (rows: JSON lists of row
objects). The whole file is checked before anything is written: a bad line is one error
naming the file and line. A repeated id is renamed like `suite import` does (`ID~2`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from ..inputs import check_id, iter_json_lines
from ..judge.recorded import RecordedItem
from ..suitegen.model import renamed_id

TEXT_FIELDS = ("question", "gold_cypher")
FLAG_FIELDS = ("syntactic_valid", "result_match")
NUMBER_FIELDS = ("latency_ms", "tokens_per_second")
COUNT_FIELDS = ("input_tokens", "output_tokens")
ROW_FIELDS = ("gold_rows", "generated_rows")
KNOWN: tuple[str, ...] = ("id", "generated_cypher", "execution_success", "error")
KNOWN += (*TEXT_FIELDS, *FLAG_FIELDS, *NUMBER_FIELDS, *COUNT_FIELDS, *ROW_FIELDS)


def _rows(record: dict, name: str, where: str) -> list[dict]:
    rows = record.get(name)
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise InputError(f"{where}: field {name} must be a JSON list of row objects")
    return rows


def _typed(record: dict, name: str, kinds: tuple, label: str, where: str):
    value = record.get(name)
    if value is not None and (isinstance(value, bool) != (bool in kinds) or not isinstance(value, kinds)):
        raise InputError(f"{where}: field {name} must be {label}")
    return value


def parse_line(record, where: str, line: int) -> RecordedItem:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object")
    missing = [name for name in ("id", *TEXT_FIELDS, "execution_success") if record.get(name) in (None, "")]
    if missing:
        raise InputError(f"{where}: missing field {', '.join(missing)}")
    for name in (*TEXT_FIELDS, "generated_cypher", "error"):
        _typed(record, name, (str,), "a string", where)
    for name in (*FLAG_FIELDS, "execution_success"):
        _typed(record, name, (bool,), "true or false", where)
    for name in NUMBER_FIELDS:
        _typed(record, name, (int, float), "a number", where)
    for name in COUNT_FIELDS:
        if (_typed(record, name, (int,), "a whole number", where) or 0) < 0:
            raise InputError(f"{where}: field {name} must not be negative")
    return RecordedItem(
        line=line,
        id=check_id(record["id"], where),
        question=record["question"],
        gold_cypher=record["gold_cypher"],
        generated_cypher=record.get("generated_cypher") or "",
        execution_success=record["execution_success"],
        gold_rows=_rows(record, "gold_rows", where),
        generated_rows=_rows(record, "generated_rows", where),
        error=record.get("error"),
        syntactic_valid=record.get("syntactic_valid"),
        result_match=record.get("result_match"),
        latency_ms=record.get("latency_ms"),
        input_tokens=record.get("input_tokens"),
        output_tokens=record.get("output_tokens"),
        tokens_per_second=record.get("tokens_per_second"),
        extra={k: v for k, v in record.items() if k not in KNOWN},
    )


def iter_recorded(path: str | Path) -> Iterator[RecordedItem]:
    """The items of a checkpoint file one at a time, checked; repeated ids renamed, the published one in `extra`."""
    seen: set[str] = set()
    for where, number, record in iter_json_lines(Path(path)):
        item = parse_line(record, where, number)
        if item.id in seen:
            item.extra["original_id"], item.id = item.id, renamed_id(item.id, seen)
        seen.add(item.id)
        yield item


def read_recorded(path: str | Path, row_budget: int | None = None) -> list[RecordedItem]:
    """Every item of a checkpoint file, checked. With a `row_budget`, recorded rows are kept only
    while the file's rows so far fit in it; later items have theirs dropped (`rows_dropped`) as
    soon as the line is checked, and `with_rows` reads them again one item at a time."""
    items: list[RecordedItem] = []
    kept = 0
    for item in iter_recorded(path):
        size = len(item.gold_rows) + len(item.generated_rows)
        if row_budget is not None and kept + size > row_budget:
            item.gold_rows, item.generated_rows, item.rows_dropped = [], [], True
        else:
            kept += size
        items.append(item)
    if not items:
        raise InputError(f"{path}: no records")
    return items


def with_rows(path: str | Path, items: list[RecordedItem]) -> Iterator[RecordedItem]:
    """The items in order, each with its rows: those `read_recorded` dropped are parsed again from
    their line, and dropped again once the caller moves on (memory for one such item at a time)."""
    dropped = {item.line for item in items if item.rows_dropped}
    lines = iter_json_lines(Path(path), only=dropped) if dropped else iter(())
    for item in items:
        if not item.rows_dropped:
            yield item
            continue
        found = next(lines, None)
        again = parse_line(found[2], found[0], found[1]) if found else None
        if again is None or again.line != item.line or again.id != item.extra.get("original_id", item.id):
            raise InputError(f"{path} line {item.line}: the file changed while it was imported")
        yield replace(item, gold_rows=again.gold_rows, generated_rows=again.generated_rows, rows_dropped=False)
