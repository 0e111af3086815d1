"""The pairwise table: two models on the items both scored, item-level and clustered.

Item level: the exact McNemar test on the discordant items. Clustered: B - A with a 95% t interval
over the items' groups and the exact sign-flip p-value over groups (report/clustered.py). With
three or more models every p-value is also given Holm-adjusted over all the pairs of the report.
"""

from __future__ import annotations

from .formatting import Table, p_cell, pct, rounded, signed
from .summary import Paired

PAIRS_NOTE = (
    "Paired on the items both runs scored: only A = A correct and B not. McNemar p: exact two-sided McNemar "
    "test on the discordant items (p = 1 when there are none), treating items as independent. "
    "Clustered: B − A with its 95% interval over the items' groups (CR1 standard error, t on groups − 1 df) "
    "and the exact sign-flip p-value over groups, which keeps paraphrases of one question together."
)
HOLM_NOTE = " Holm: the p-value adjusted for the {} comparisons of this table (Holm's step-down method)."


def pairs_table(pairs: list[Paired]) -> Table:
    holm = any(pair.p_holm is not None for pair in pairs)
    records, rows = [], []
    for pair in pairs:
        c = pair.clustered
        records.append(
            {
                "a": pair.a,
                "b": pair.b,
                "n_shared": pair.n_shared,
                "both_correct": pair.both,
                "only_a": pair.only_a,
                "only_b": pair.only_b,
                "neither": pair.neither,
                "acc_a_pct": rounded(pair.acc_a),
                "acc_b_pct": rounded(pair.acc_b),
                "delta_points": rounded(pair.delta_points),
                "mcnemar_p": rounded(pair.p_value, 6) if pair.n_shared else None,
                "mcnemar_p_holm": rounded(pair.p_holm, 6),
                "clusters": c.clusters if c else 0,
                "delta_cluster_lo": rounded(100 * c.low) if c else None,
                "delta_cluster_hi": rounded(100 * c.high) if c else None,
                "clustered_p": rounded(c.p_value, 6) if c else None,
                "clustered_p_holm": rounded(pair.clustered_p_holm, 6),
                "suites_differ": pair.suites_differ,
            }
        )
        row = [
            pair.a,
            pair.b + (" (other suite hash)" if pair.suites_differ else ""),
            f"{pair.n_shared} ({c.clusters})" if c else str(pair.n_shared),
            str(pair.both),
            str(pair.only_a),
            str(pair.only_b),
            str(pair.neither),
            pct(pair.acc_a),
            pct(pair.acc_b),
            "–" if pair.delta_points is None else signed(pair.delta_points),
            "–" if c is None else f"[{signed(100 * c.low)}, {signed(100 * c.high)}]",
            p_cell(pair.p_value if pair.n_shared else None),
            p_cell(c.p_value if c else None),
        ]
        if holm:
            row[-1:-1] = [p_cell(pair.p_holm)]
            row.append(p_cell(pair.clustered_p_holm))
        rows.append(row)
    headers = [
        "A",
        "B",
        "n shared (groups)",
        "both correct",
        "only A",
        "only B",
        "neither",
        "A %",
        "B %",
        "B − A (points)",
        "B − A 95% clustered",
        "McNemar p",
        "clustered p",
    ]
    if holm:
        headers[-1:-1] = ["McNemar p (Holm)"]
        headers.append("clustered p (Holm)")
    note = PAIRS_NOTE + (HOLM_NOTE.format(len(pairs)) if holm else "")
    return Table("pairs", "Pairwise comparisons (shared scored items)", records, headers, rows, note)
