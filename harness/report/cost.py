"""The cost table: estimates from the spec's price (pricing.py) and the run's recorded usage.

Spend = input tokens x input price + output tokens x output price + generation time x hourly price,
over the run's stored generations (infra failures that consumed tokens included). Per 1,000 queries
divides by the model calls recorded; per correct answer by the correct items. A run whose spec
has no price shows "–"; an hourly price with no recorded generation time shows "–" too.
"""

from __future__ import annotations

import math

from ..pricing import Price, price_of_record
from .formatting import Table, duration, rounded
from .summary import RunSummary

COST_NOTE = (
    "Estimates, not bills: the price written in each model spec ([price], USD; never fetched) times the usage "
    "recorded in the run (tokens; generation time for an hourly price). Per 1,000 queries: spend / model calls "
    'x 1,000; per correct: spend / correct items. "–": the spec has no price (or an hourly price and no '
    "recorded generation time)."
)


def estimate(summary: RunSummary) -> dict:
    """The cost record of one run: inputs and estimates (None where there is no price)."""
    spec = summary.run.model_spec or {}
    price = price_of_record(spec)
    usage = summary.usage
    spend = None
    if price is not None and not (price.hourly and usage.timed_calls == 0):
        spend = price.cost(usage.prompt_tokens, usage.output_tokens, usage.gen_ms)
    correct = summary.accuracy.k
    return {
        "label": summary.label,
        "run_id": summary.run.id,
        "price": price.record() if price else None,
        "calls": usage.calls,
        "input_tokens": usage.prompt_tokens,
        "output_tokens": usage.output_tokens,
        "generation_s": rounded(usage.gen_ms / 1000, 2) if usage.timed_calls else None,
        "correct": correct,
        "cost_usd": rounded(spend, 6),
        "cost_per_1000_queries_usd": rounded(1000 * spend / usage.calls, 4)
        if spend is not None and usage.calls
        else None,
        "cost_per_correct_usd": rounded(spend / correct, 6) if spend is not None and correct else None,
        "estimate": True,
    }


def usd(value: float | None) -> str:
    """Dollars with two significant digits at least: $1,234.50, $0.0025, $0.0000029."""
    if value is None:
        return "–"
    if value >= 1:
        return f"${value:,.2f}"
    decimals = 4 if value == 0 or value >= 0.001 else 1 - math.floor(math.log10(value))
    return f"${value:.{decimals}f}"


def cost_table(summaries: list[RunSummary]) -> Table:
    records, rows = [], []
    for summary in summaries:
        record = estimate(summary)
        records.append(record)
        price = Price(**record["price"]) if record["price"] else None
        rows.append(
            [
                summary.label,
                price.describe() if price else "–",
                str(record["calls"]),
                f"{record['input_tokens']:,} / {record['output_tokens']:,}",
                "–" if record["generation_s"] is None else duration(1000 * record["generation_s"]),
                usd(record["cost_usd"]),
                usd(record["cost_per_1000_queries_usd"]),
                usd(record["cost_per_correct_usd"]) + (f" ({record['correct']} correct)" if price else ""),
            ]
        )
    headers = [
        "model",
        "price (spec)",
        "model calls",
        "tokens in / out",
        "generation time",
        "est. cost",
        "est. per 1,000 queries",
        "est. per correct answer",
    ]
    return Table("cost", "Cost (estimates from the spec's price)", records, headers, rows, COST_NOTE)
