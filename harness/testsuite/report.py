"""Plain-text tables for the audit and the distillation (the CLI prints these)."""

from __future__ import annotations

from tabulate import tabulate

SHOWN_ITEMS = 40


def audit_text(report) -> str:
    totals = report.totals()
    templates = tabulate(
        [
            (
                t["template"],
                t["items"],
                t["discriminating"],
                f"{100 * t['discriminating_share']:.0f}%",
                t["mean_survivors"],
                t["trivial_matches"],
            )
            for t in report.template_rows()
        ],
        headers=["template", "items", "discriminating", "share", "mean survivors", "trivial matches"],
        tablefmt="github",
    )
    flagged = [r for r in report.item_rows() if r["survivors"] or r["trivial_match"] or r["error"]]
    items = tabulate(
        [
            (
                r["id"],
                r["mutants"],
                r["survivors"],
                " ".join(r["surviving_rules"]),
                "yes" if r["empty_gold"] else "",
                " ".join(r["trivial_match"]),
                "yes" if r["discriminating"] else "no",
            )
            for r in flagged[:SHOWN_ITEMS]
        ],
        headers=["item", "mutants", "survivors", "surviving rules", "empty gold", "trivial match", "discriminating"],
        tablefmt="github",
    )
    more = (
        f"\n({len(flagged) - SHOWN_ITEMS} more items with survivors; --json lists all)"
        if len(flagged) > SHOWN_ITEMS
        else ""
    )
    summary = (
        f"{totals['items']} items ({totals['distinct_golds']} distinct golds): {totals['mutants']} accepted mutants, "
        f"{totals['survivors']} survive on this graph; {totals['discriminating_items']} items discriminating, "
        f"{totals['trivial_match_items']} matched by a trivial query, {totals['empty_gold_items']} with an empty gold"
    )
    return f"{templates}\n\n{items}{more}\n\n{summary}"


def distill_text(result: dict) -> str:
    rows = [
        (v["id"], v["fingerprint"][:12], v["kills"], v["golds_valid"], "yes" if v["chosen"] else "")
        for v in result["candidates"]
    ]
    table = tabulate(rows, headers=["variant", "fingerprint", "kills", "golds valid", "chosen"], tablefmt="github")
    return (
        f"{table}\n\nsurvivors on the base graph: {result['survivors']}; killed by the chosen variants: "
        f"{result['killed']} ({result['kill_rate']:.1%}); shown equivalent: {result['equivalent']} "
        f"({', '.join(f'{k} {v}' for k, v in result['equivalent_by_rule'].items()) or 'none'}); left: "
        f"{len(result['remaining'])}; kill rate without the equivalent: {result['kill_rate_non_equivalent']:.1%}"
    )
