"""The report's table structure and cell formatting, shared by every table module.

A `Table` carries machine records (plain numbers, percentages in 0..100) and the markdown
headers/rows built from the same numbers, so the formats never disagree.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tabulate import tabulate

from .summary import Rate


@dataclass
class Table:
    name: str
    title: str
    records: list[dict]
    md_headers: list[str]
    md_rows: list[list]
    note: str = ""

    def markdown(self) -> str:
        body = (
            tabulate(self.md_rows, headers=self.md_headers, tablefmt="github", disable_numparse=True)
            if self.md_rows
            else "_(none)_"
        )
        return f"## {self.title}\n\n{body}\n" + (f"\n{self.note}\n" if self.note else "")


# formatting ---------------------------------------------------------------
def num(value: float, digits: int = 1) -> str:
    """Rounded half up, as people round by hand (91.25 -> 91.3; Python's format would give 91.2)."""
    text = str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.0"


def signed(value: float, digits: int = 1) -> str:
    text = num(value, digits)
    return text if text.startswith("-") else "+" + text


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else num(value, digits)


def rate_cell(rate: Rate, interval: bool = True, clustered: bool = False) -> str:
    """`p [lo, hi]`: the Wilson interval over items, or with `clustered` the one over groups."""
    percent, bounds = rate.pct, rate.cluster_ci if clustered else rate.ci
    if percent is None or bounds is None:
        return "–"
    if not interval:
        return num(percent)
    return f"{num(percent)} [{num(bounds[0])}, {num(bounds[1])}]"


def interval_cell(bounds: tuple[float, float] | None) -> str:
    return "–" if bounds is None else f"[{num(bounds[0])}, {num(bounds[1])}]"


def duration(ms: float | None) -> str:
    if ms is None:
        return "–"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def p_cell(p: float | None) -> str:
    return "–" if p is None else f"{p:.1e}" if p < 1e-4 else f"{p:.4f}"


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def rate_fields(prefix: str, rate: Rate) -> dict:
    ci = rate.ci
    return {
        f"{prefix}_k": rate.k,
        f"{prefix}_n": rate.n,
        f"{prefix}_pct": rounded(rate.pct),
        f"{prefix}_lo": rounded(ci[0]) if ci else None,
        f"{prefix}_hi": rounded(ci[1]) if ci else None,
        **cluster_fields(prefix, rate),
    }


def cluster_fields(prefix: str, rate: Rate) -> dict:
    """The clustered interval (`_lo`/`_hi` stay the Wilson interval over items), clusters, design effect."""
    clustered = rate.clustered
    return {
        f"{prefix}_cluster_lo": rounded(100 * clustered.low) if clustered else None,
        f"{prefix}_cluster_hi": rounded(100 * clustered.high) if clustered else None,
        f"{prefix}_clusters": clustered.clusters if clustered else 0,
        f"{prefix}_deff": rounded(clustered.deff, 3) if clustered else None,
    }


def to_csv(records: list[dict]) -> str:
    buffer = io.StringIO()
    columns = list(dict.fromkeys(key for record in records for key in record))
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in record.items()}
        )
    return buffer.getvalue()
