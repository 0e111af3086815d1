"""The nightly hosted job's time budget, from the committed model specs (issue 26).

    python scripts/nightly_budget.py --model gemini-2.0-flash --sample 60 --timeout-minutes 30

Prints a markdown table for the job summary (the rate limit of each model, its requests and
their minutes) and exits 1 when the budget does not fit the job's `timeout-minutes`, so the
job says so before it spends an hour on requests that a timeout would throw away.

A hosted model's requests are spaced 60/rpm seconds apart (adapters/retry.RateLimiter), two
per item in `two_step` mode, one in `single_step`. The budget adds to them a retry margin (a
retried request waits for its own slot), an allowance for setting up (install without the
llama.cpp build, a Neo4j container, the demo graph) and one for judging the sample, the
report and the gate. The allowances are estimates for a GitHub-hosted runner, not measurements.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SETUP_MINUTES = 10.0  # checkout, pip install '.[gemini,plot]', Neo4j container, graph load
WRAP_UP_MINUTES = 3.0  # judging the sample, report, gate, uploads
RETRY_MARGIN = 0.25  # a quarter more requests for retried 429s and 5xx

MODELS = Path(__file__).resolve().parent.parent / "models"


def requests_per_item(mode: str) -> int:
    return 2 if mode == "two_step" else 1


def budget_rows(models: list[str], sample: int) -> list[dict]:
    from harness.adapters.gemini import GeminiOptions
    from harness.adapters.specs import read_spec_file

    rows = []
    for name in models:
        spec = read_spec_file(MODELS / f"{name}.toml")
        options = GeminiOptions(**spec.options)
        requests = sample * requests_per_item(options.mode)
        spacing_s = 60.0 / options.rpm if options.rpm else 0.0
        request_minutes = requests * spacing_s / 60.0
        total = SETUP_MINUTES + request_minutes * (1 + RETRY_MARGIN) + WRAP_UP_MINUTES
        rows.append(
            {
                "model": name,
                "rpm": options.rpm,
                "mode": options.mode,
                "requests": requests,
                "spacing_s": spacing_s,
                "request_minutes": request_minutes,
                "budget_minutes": total,
            }
        )
    return rows


def render(rows: list[dict], sample: int, timeout_minutes: float) -> str:
    lines = [
        f"### Hosted budget: a stratified sample of {sample} items, timeout {timeout_minutes:g} min",
        "",
        "| model | rpm | mode | requests | spacing | requests alone | budget | fits |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['model']} | {row['rpm']:g} | {row['mode']} | {row['requests']} | {row['spacing_s']:g} s "
            f"| {row['request_minutes']:.1f} min | {row['budget_minutes']:.1f} min "
            f"| {'yes' if row['budget_minutes'] <= timeout_minutes else 'NO'} |"
        )
    lines += [
        "",
        f"budget = {SETUP_MINUTES:g} min set-up + requests x spacing x {1 + RETRY_MARGIN:g} (retries) "
        f"+ {WRAP_UP_MINUTES:g} min judging, report and gate",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, help="a hosted model spec in models/ (repeatable)")
    parser.add_argument("--sample", type=int, required=True, help="items in the stratified sample")
    parser.add_argument("--timeout-minutes", type=float, required=True, help="the job's timeout-minutes")
    args = parser.parse_args(argv)
    try:
        rows = budget_rows(args.model, args.sample)
    except Exception as exc:  # a missing or invalid spec: one line, no traceback
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(render(rows, args.sample, args.timeout_minutes), end="")
    over = [row["model"] for row in rows if row["budget_minutes"] > args.timeout_minutes]
    if over:
        print(
            f"Error: {', '.join(over)} would not finish within timeout-minutes {args.timeout_minutes:g}: "
            "lower the sample or raise the timeout",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
