"""`harness show RUN ITEM` (one item in full) and `harness triage RUN` (failures grouped)."""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict

from tabulate import tabulate

from ..errors import HarnessError
from ..store import Store
from ..store.records import ResultRecord, RunRecord
from ..verdict import Outcome
from . import queries
from .tables import num


# show ---------------------------------------------------------------------
def find_item(store: Store, run: RunRecord, item_id: str) -> dict:
    """The result row for an exact item id, else for a unique id prefix."""
    row = store.result(run.id, item_id)
    if row:
        return row
    ids = store.item_ids(run.id)
    prefixed = [i for i in ids if i.startswith(item_id)]
    found = store.result(run.id, prefixed[0]) if len(prefixed) == 1 else None
    if found:
        return found
    if len(prefixed) > 1:
        raise HarnessError(
            f"item id prefix {item_id!r} is ambiguous in run {run.id}: "
            f"{', '.join(prefixed[:5])}{', ...' if len(prefixed) > 5 else ''}"
        )
    close = difflib.get_close_matches(item_id, ids, n=3)
    raise HarnessError(
        f"no item {item_id!r} in run {run.id} ({len(ids)} items)"
        + (f"; did you mean {', '.join(close)}?" if close else "")
    )


def item_record(store: Store, run: RunRecord, item_id: str) -> dict:
    row = find_item(store, run, item_id)
    generation = store.generation(run.id, row["item_id"]) or {}
    return {
        "run_id": run.id,
        "model": run.model,
        **row,
        "warnings": queries.parse_json(row.get("warnings"), []),
        "detail": queries.parse_json(row.get("detail"), {}) or {},
        "output": generation.get("output"),
        "infra_error": generation.get("infra_error"),
        "finish_reason": generation.get("finish_reason"),
        "retries": generation.get("retries"),
    }


def _flag(value) -> str:
    return "–" if value is None else ("yes" if value else "no")


def _block(title: str, text: str | None, lang: str = "") -> list[str]:
    if text is None or text == "":
        return [f"{title}: –", ""]
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)  # a fence longer than any backtick run inside (raw output has its own)
    return [f"{title}:", f"{fence}{lang}", text.rstrip("\n"), fence, ""]


def render_item(record: dict) -> str:
    detail = record["detail"]
    scored = Outcome.is_scored(record["outcome"])
    lines = [
        f"# {record['item_id']} in run {record['run_id']} ({record['model']})",
        "",
        f"family {record.get('family_id') or '?'}, template {record.get('template_id') or '?'}",
        f"outcome: {record['outcome']} ({'scored' if scored else 'infra error, not scored'})"
        + (f", attempts {record['attempts']}" if record.get("attempts") else ""),
        f"syntax ok: {_flag(record.get('syntax_ok'))}, executed: {_flag(record.get('exec_ok'))}, "
        f"match: {_flag(record.get('match'))}, strict match: {_flag(record.get('strict_match'))}, "
        f"F1: {'–' if record.get('f1') is None else format(record['f1'], '.3f')}",
        f"rows: generated {record.get('row_count') if record.get('row_count') is not None else '–'}, "
        f"gold {record.get('gold_row_count') if record.get('gold_row_count') is not None else '–'}"
        + (f"; mismatch reason: {record['reason']}" if record.get("reason") else ""),
        "timings: "
        + ", ".join(
            f"{name} {record[key]:.0f} ms"
            for name, key in (("generation", "gen_ms"), ("judge", "judge_ms"), ("database", "db_ms"))
            if record.get(key) is not None
        )
        + (
            f"; tokens: prompt {record.get('prompt_tokens')}, output {record.get('output_tokens')}"
            if record.get("output_tokens") is not None
            else ""
        ),
        "",
    ]
    if record.get("error") or record.get("error_class"):
        lines += [
            f"error: {record.get('error_class') or ''}{': ' if record.get('error_class') else ''}"
            f"{record.get('error') or ''}",
            "",
        ]
    if record.get("infra_error"):
        lines += [f"model call error: {record['infra_error']}", ""]
    if record["warnings"]:
        lines += ["warnings:"] + [f"- {w}" for w in record["warnings"]] + [""]
    lines += [f"question: {detail.get('question') or '–'}", ""]
    lines += _block("gold Cypher", detail.get("gold_cypher"), "cypher")
    lines += _block("extracted query", record.get("extracted_query"), "cypher")
    lines += _block(
        "raw model output" + (f" (finish: {record['finish_reason']})" if record.get("finish_reason") else ""),
        record.get("output"),
    )
    for key, title in (
        ("missing_rows", "gold rows missing from the output"),
        ("extra_rows", "extra rows in the output"),
    ):
        rows = detail.get(key) or []
        if rows:
            lines += (
                [f"{title} (sample of {len(rows)}):"] + [f"- {json.dumps(r, ensure_ascii=False)}" for r in rows] + [""]
            )
    return "\n".join(lines).rstrip() + "\n"


# triage -------------------------------------------------------------------
def short_error(row: ResultRecord, size: int = 70) -> str:
    lines = (row.error or row.reason or "").strip().splitlines()
    text = lines[0] if lines else ""
    if row.error_class and not text.startswith(row.error_class):
        text = f"{row.error_class.rsplit('.', 1)[-1]}: {text}" if text else row.error_class
    text = text if len(text) <= size else text[: size - 1] + "…"
    return text.replace("|", "\\|")


class Group:
    def __init__(self):
        self.count = 0
        self.examples: list[str] = []

    def add(self, row: ResultRecord, examples: int) -> None:
        self.count += 1
        if len(self.examples) < examples:
            error = short_error(row)
            self.examples.append(f"{row.item_id}" + (f" ({error})" if error else ""))


def triage(store: Store, run: RunRecord, examples: int = 3) -> dict:
    groups: list[defaultdict[str, Group]] = [defaultdict(Group) for _ in range(5)]
    by_outcome, by_family, by_reason, by_class, infra = groups
    scored_per_family: dict[str, int] = defaultdict(int)
    n_scored = n_failed = 0
    for row in queries.items(store, run.id):
        outcome, family = row.outcome, row.family_id or "?"
        if not Outcome.is_scored(outcome):  # infra outcomes (and any unknown one)
            infra[outcome].add(row, examples)
            continue
        n_scored += 1
        scored_per_family[family] += 1
        if outcome == "correct":
            continue
        n_failed += 1
        by_outcome[outcome].add(row, examples)
        by_family[family].add(row, examples)
        if outcome == "wrong_result":
            by_reason[row.reason or "unknown"].add(row, examples)
        if row.error_class:
            by_class[row.error_class].add(row, examples)

    def records(groups, total=None):
        ordered = sorted(groups.items(), key=lambda kv: (-kv[1].count, kv[0]))
        return [
            {"key": key, "count": g.count, **({"of": total(key)} if total else {}), "examples": g.examples}
            for key, g in ordered
        ]

    return {
        "run_id": run.id,
        "model": run.model,
        "n_scored": n_scored,
        "n_failed": n_failed,
        "by_outcome": records(by_outcome),
        "by_family": records(by_family, lambda f: scored_per_family[f]),
        "by_reason": records(by_reason),
        "by_error_class": records(by_class),
        "infra": records(infra),
    }


def render_triage(data: dict) -> str:
    n = data["n_scored"]
    lines = [
        f"# Triage of run {data['run_id']} ({data['model']})",
        "",
        f"{data['n_failed']} of {n} scored items failed"
        + (f" ({num(100 * data['n_failed'] / n)}%)" if n else "")
        + "; "
        + f"{sum(g['count'] for g in data['infra'])} infra error(s), not scored.",
        "",
    ]
    sections = [
        (
            "Failures by outcome",
            "outcome",
            "by_outcome",
            lambda g: [str(g["count"]), num(100 * g["count"] / n)],
            ["n", "% of scored"],
        ),
        (
            "Failures by family",
            "family",
            "by_family",
            lambda g: [f"{g['count']}/{g['of']}", num(100 * g["count"] / g["of"])],
            ["failed/scored", "% failed"],
        ),
        ("Wrong results by mismatch reason", "reason", "by_reason", lambda g: [str(g["count"])], ["n"]),
        ("Failures by error class", "error class", "by_error_class", lambda g: [str(g["count"])], ["n"]),
        ("Infra errors (not scored; retried on resume)", "outcome", "infra", lambda g: [str(g["count"])], ["n"]),
    ]
    for title, key_name, key, cells, headers in sections:
        groups = data[key]
        lines += [f"## {title}", ""]
        if not groups:
            lines += ["_(none)_", ""]
            continue
        rows = [[g["key"], *cells(g), "; ".join(g["examples"])] for g in groups]
        lines += [
            tabulate(rows, headers=[key_name, *headers, "examples"], tablefmt="github", disable_numparse=True),
            "",
        ]
    if data["n_failed"]:
        lines.append(f"See one item in full: harness show {data['run_id']} ITEM")
    return "\n".join(lines).rstrip() + "\n"
