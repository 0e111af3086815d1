"""Reads the reports need beyond per-item rows: each item's group and a run's model usage (tokens, time).

Kept apart from `db.py` (the write path) so the report side's SQL sits in one small place.
"""

from __future__ import annotations

from dataclasses import dataclass

from .db import Store


def item_groups(store: Store, run_id: str) -> dict[str, str]:
    """item id -> group id as recorded with each verdict (runs recorded before groups were stored have none)."""
    if "group_id" not in store.db["results"].columns_dict:  # an unmigrated read-only file
        return {}
    return {
        row["item_id"]: row["group_id"]
        for row in store.db.query(
            "select item_id, group_id from results where run_id = ? and group_id is not null", [run_id]
        )
    }


@dataclass(frozen=True)
class Usage:
    """What a run's stored generations consumed: model calls, tokens, generation time."""

    calls: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    gen_ms: float = 0.0
    timed_calls: int = 0  # calls with a generation time (imported files may lack it)


def run_usage(store: Store, run_id: str) -> Usage:
    """The sums over the run's latest generation of each item (a retried item's earlier attempt is not kept)."""
    row = next(
        iter(
            store.db.query(
                "select count(*) as calls, coalesce(sum(prompt_tokens), 0) as prompt_tokens, "
                "coalesce(sum(output_tokens), 0) as output_tokens, coalesce(sum(gen_ms), 0) as gen_ms, "
                "count(gen_ms) as timed_calls from generations where run_id = ?",
                [run_id],
            )
        )
    )
    return Usage(**row)
