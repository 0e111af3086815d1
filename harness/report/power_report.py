"""`harness suite power`: the power figures of report/power.py for a suite's items, or for two stored runs."""

from __future__ import annotations

import json

from tabulate import tabulate

from ..errors import InputError
from ..store import Store
from ..store.records import RunRecord
from ..suitegen.model import Suite
from .formatting import num
from .power import ALPHA, POWER, Layout, items_needed, mdd, observed_power
from .summary import summarize_runs

DISCORDANCES = (0.1, 0.2, 0.3)


def suite_layout(suite: Suite, split: str, ids: list[str] | None = None) -> Layout:
    """The group sizes of a split's items (or of the listed ids); an item without a group stands alone."""
    items = [item for item in suite.items(split) if ids is None or item.id in ids]
    if ids is not None:
        missing = sorted(set(ids) - {item.id for item in items})
        if missing:
            raise InputError(f"{len(missing)} id(s) not in the {split} split of {suite.name}: {', '.join(missing[:5])}")
    if not items:
        raise InputError(f"suite {suite.name!r} has no {split} items")
    return Layout.of([item.group_id or f"item:{item.id}" for item in items])


def suite_power(layout: Layout, icc: float, difference: float, discordances=DISCORDANCES) -> dict:
    rows = []
    for psi in discordances:
        rows.append(
            {
                "discordance": psi,
                "mdd_points_independent": round(100 * mdd(layout.n, psi, 1.0), 2),
                "mdd_points": round(100 * mdd(layout.n, psi, layout.deff(icc)), 2),
                "mdd_points_groups_as_units": round(100 * mdd(layout.n, psi, layout.deff(1.0)), 2),
                "items_needed": items_needed(difference, psi, layout.deff(icc)),
            }
        )
    return {
        "n": layout.n,
        "clusters": layout.clusters,
        "weighted_group_size": round(layout.weighted_size, 3),
        "icc": icc,
        "deff": round(layout.deff(icc), 3),
        "alpha": ALPHA,
        "power": POWER,
        "difference_points": round(100 * difference, 2),
        "rows": rows,
    }


def runs_power(store: Store, runs: list[RunRecord], difference: float) -> dict:
    """The observed discordance and clustered SE of two stored runs, and what they imply."""
    a, b = summarize_runs(store, runs)
    correct_a = a.scored_correct()
    clusters = {item: a.cluster_of(item) if item in a.groups else b.cluster_of(item) for item in correct_a}
    observed = observed_power(correct_a, b.scored_correct(), clusters)
    if observed is None:
        raise InputError(f"runs {a.run.id} and {b.run.id} share no scored item")
    return {
        "a": a.label,
        "b": b.label,
        "n": observed.n,
        "clusters": observed.clusters,
        "discordance": round(observed.discordance, 4),
        "difference_points": round(100 * observed.difference, 2),
        "se_clustered_points": round(100 * observed.se_clustered, 3),
        "se_items_points": round(100 * observed.se_items, 3),
        "deff": round(observed.deff, 3),
        "alpha": ALPHA,
        "power": POWER,
        "mdd_points": round(100 * observed.mdd(), 2),
        "for_difference_points": round(100 * difference, 2),
        "items_needed": observed.items_needed(difference) if observed.se_clustered else None,
    }


def render_suite(name: str, split: str, data: dict, as_json: bool) -> str:
    if as_json:
        return json.dumps({"suite": name, "split": split, **data}, indent=2)
    rows = [
        [
            f"{num(100 * row['discordance'], 0)}%",
            num(row["mdd_points_independent"]),
            num(row["mdd_points"]),
            num(row["mdd_points_groups_as_units"]),
            f"{row['items_needed']:,}",
        ]
        for row in data["rows"]
    ]
    headers = [
        "discordant items",
        "MDD, items independent",
        f"MDD, ICC {data['icc']:g}",
        "MDD, ICC 1",
        f"items for {num(data['difference_points'])} points (ICC {data['icc']:g})",
    ]
    return (
        f"# Power of a paired comparison on suite {name} ({split} split)\n\n"
        f"{data['n']} items in {data['clusters']} groups (size-weighted mean group size "
        f"{num(data['weighted_group_size'], 2)}; design effect {num(data['deff'], 2)} at ICC {data['icc']:g}).\n"
        f"Minimum detectable difference (MDD, percentage points) of two models on these items at "
        f"80% power and alpha 0.05 (two-sided), by the share of items on which they disagree:\n\n"
        + tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
        + "\n\nICC: the intra-group correlation of the paired difference (0: paraphrases independent, 1: a group "
        "always moves together). Measure it with `--run A --run B` on two stored runs of this suite.\n"
    )


def render_runs(data: dict, as_json: bool) -> str:
    if as_json:
        return json.dumps(data, indent=2)
    return (
        f"# Power of the comparison {data['b']} − {data['a']} (two stored runs)\n\n"
        f"{data['n']} shared scored items in {data['clusters']} groups; they disagree on "
        f"{num(100 * data['discordance'])}% of them; observed B − A {num(data['difference_points'])} points.\n"
        f"Standard error of B − A: {num(data['se_clustered_points'], 2)} points clustered "
        f"({num(data['se_items_points'], 2)} treating items as independent; design effect {num(data['deff'], 2)}).\n"
        f"Minimum detectable difference at 80% power, alpha 0.05 (two-sided): {num(data['mdd_points'])} points.\n"
        f"Items needed to detect {num(data['for_difference_points'])} points with the same groups and "
        f"disagreement: {'–' if data['items_needed'] is None else format(data['items_needed'], ',')}.\n"
    )
