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


def test_suite_table(store, summaries):
    """Execution accuracy and test-suite accuracy side by side, for runs judged with --test-suite;
    None when no chosen run was (the report then looks as before)."""
    from ..report.tables import Table, pct
    from ..runner.variant_stage import summary, test_suite_meta

    if "variant_results" not in store.db.table_names():
        return None
    records, rows = [], []
    for run_summary in summaries:
        meta = test_suite_meta(run_summary.run)
        if not meta:
            continue
        figures = summary(store, run_summary.run["id"])
        flipped = figures["flipped"]
        records.append(
            {"model": run_summary.label, "run_id": run_summary.run["id"], "variants": meta["variants"], **figures}
        )
        exec_pct = 100 * figures["execution_accuracy"] if figures["n"] else None
        ts_pct = 100 * figures["test_suite_accuracy"] if figures["n"] else None
        shown = ", ".join(f"{f['item_id']} ({' '.join(f['caught_by'])})" for f in flipped[:8])
        rows.append(
            [
                run_summary.label,
                figures["n"],
                pct(exec_pct),
                pct(ts_pct),
                len(meta["variants"]),
                len(flipped),
                shown + (f", … {len(flipped) - 8} more" if len(flipped) > 8 else ""),
            ]
        )
    if not records:
        return None
    headers = [
        "model",
        "n",
        "execution accuracy %",
        "test-suite accuracy %",
        "variants",
        "flipped",
        "flipped items (caught by)",
    ]
    note = (
        "Test-suite accuracy: correct on the base graph and on every distilled graph variant of the suite "
        "(`harness suite distill`). Flipped: items execution accuracy accepts and a variant rejects."
    )
    return Table("test_suite", "Execution vs test-suite accuracy", records, headers, rows, note)
