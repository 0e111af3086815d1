"""Build runs in a results store directly (no runner, no Neo4j) for report, gate and triage tests."""

from __future__ import annotations

import datetime

from harness.store import Store
from harness.store.db import new_run_id

# Per-level flags the judge records for each outcome (None: not scored).
FLAGS = {
    "correct": (1, 1, 1, 1, 1.0),
    "wrong_result": (1, 1, 0, 0, 0.5),
    "syntax_error": (0, 0, 0, 0, None),
    "exec_error": (1, 0, 0, 0, None),
    "timeout": (1, 0, 0, 0, None),
    "forbidden": (1, 0, 0, 0, None),
    "too_many_rows": (1, 0, 0, 0, None),
    "no_query": (0, 0, 0, 0, None),
}
ERRORS = {
    "syntax_error": ("Neo.ClientError.Statement.SyntaxError", "Invalid input 'RETRN': expected 'RETURN'"),
    "exec_error": ("Neo.ClientError.Statement.TypeError", "Type mismatch: expected Integer but was String"),
    "timeout": ("Neo.ClientError.Transaction.TransactionTimedOut", "query exceeded the 5s timeout"),
    "infra_model": ("ModelUnavailable", "HTTP 429 Too Many Requests"),
    "infra_db": ("ServiceUnavailable", "connection refused"),
    "harness_error": ("RuntimeError", "unexpected"),
}

MODEL_SPEC = {
    "name": "ft",
    "adapter": "llama_cpp",
    "description": "test",
    "options": {
        "model_path": "ft.gguf",
        "system_prompt_file": "ft_system_prompt.txt",
        "temperature": 0.0,
        "max_tokens": 512,
    },
}


_issued: list[str] = []


def later_run_id() -> str:
    """A fresh run id that sorts after every one issued here, without waiting for the clock (ids
    sort by creation time to the millisecond; two runs in the same millisecond get the next one)."""
    run_id = new_run_id()
    if _issued and run_id <= _issued[-1]:
        stamp, suffix = _issued[-1].split("-")
        moment = datetime.datetime.strptime(stamp + "000", "%Y%m%dT%H%M%S%f") + datetime.timedelta(milliseconds=1)
        run_id = f"{moment.strftime('%Y%m%dT%H%M%S%f')[:-3]}-{suffix}"
    _issued.append(run_id)
    return run_id


def result_row(item_id: str, outcome: str, family: str | None = None, **overrides) -> dict:
    scored = outcome in FLAGS
    syntax, executed, match, strict, f1 = FLAGS.get(outcome, (None,) * 5)
    error_class, error = ERRORS.get(outcome, (None, None))
    row = {
        "family_id": family or item_id.split("-")[0],
        "template_id": f"{item_id.split('-')[0]}.t1",
        "outcome": outcome,
        "scored": int(scored),
        "syntax_ok": syntax,
        "exec_ok": executed,
        "match": match,
        "strict_match": strict,
        "f1": f1,
        "reason": "missing_rows" if outcome == "wrong_result" else "",
        "error": error,
        "error_class": error_class,
        "warnings": [],
        "extracted_query": None if outcome in ("no_query", "infra_model") else f"MATCH (n) RETURN n // {item_id}",
        "row_count": 3 if executed else None,
        "gold_row_count": 3,
        "gen_ms": 1000.0,
        "judge_ms": 5.0,
        "db_ms": 2.0,
        "prompt_tokens": 300,
        "output_tokens": 50,
        "attempts": 1,
        "detail": {
            "question": f"Which therapies target the gene of {item_id}?",
            "gold_cypher": f"MATCH (t:Therapy)-[:TARGETS]->(g:Gene) RETURN t.name // {item_id}",
            "missing_rows": [{"t.name": "Osimertinib"}] if outcome == "wrong_result" else [],
            "extra_rows": [{"t.name": "Aspirin"}] if outcome == "wrong_result" else [],
            "retries": 0,
        },
    }
    row.update(overrides)
    return row


def add_run(
    store: Store, model: str, outcomes: dict, *, status: str = "finished", n_planned: int | None = None, **run_fields
) -> str:
    """A run of `model` with one result per item: outcomes maps item id (family = prefix before
    '-') to an outcome name or to a dict of result columns (must include "outcome")."""
    spec = {**MODEL_SPEC, "name": model}
    fields = {
        "model": model,
        "suite": "demo",
        "suite_hash": "a1b2c3d4e5f60718",
        "split": "test",
        "graph_fingerprint": "f00dfeedbeef0123456789",
        "neo4j_version": "5.26.12",
        "harness_version": "0.1.0",
        "git_commit": "0123456789abcdef",
        "host": "testhost",
        "options_key": "k",
        "options": {"concurrency": 1},
        "model_spec": spec,
        "adapter_info": {"device": "cpu"},
        "n_planned": len(outcomes) if n_planned is None else n_planned,
    }
    fields.update(run_fields)
    fields.setdefault("id", later_run_id())  # or the caller's own id
    store.db.conn.execute("PRAGMA synchronous = OFF")  # test speed: no fsync per item
    store.create_run(**fields)
    run_id = fields["id"]
    for item_id, value in outcomes.items():
        overrides = dict(value) if isinstance(value, dict) else {"outcome": value}
        row = result_row(item_id, overrides.pop("outcome"), **overrides)
        generation = {
            "output": f"```cypher\n{row['extracted_query']}\n```" if row["extracted_query"] else "I cannot.",
            "infra_error": row["error"] if row["outcome"] == "infra_model" else None,
            "gen_ms": row["gen_ms"],
            "prompt_tokens": 300,
            "output_tokens": 50,
            "finish_reason": "stop",
            "retries": 0,
            "meta": {},
        }
        # Rows as a database may hold them (including outcomes no Verdict can have), so written directly.
        keys = {"run_id": run_id, "item_id": item_id, "created_at": "2026-01-01T00:00:00.000+00:00"}
        store.db["generations"].insert({**keys, **generation})
        store.db["results"].insert({**keys, **row})
    store.update_run(run_id, status=status, finished_at="2026-01-01T00:00:00.000+00:00")
    return run_id


def outcomes(prefix: str, counts: dict[str, int], start: int = 0) -> dict[str, str]:
    """Item ids `{prefix}-0000`... with the given number of each outcome, in order."""
    result, index = {}, start
    for outcome, count in counts.items():
        for _ in range(count):
            result[f"{prefix}-{index:04d}"] = outcome
            index += 1
    return result
