"""Re-create docs/guide/seed-table.md: the seed's table, re-scored by the harness from OncoGraph's own files.

    harness db up                       # any Neo4j 5: the import EXPLAINs generated queries on it
    python scripts/seed_table.py PATH/TO/OncoGraph-files [--out docs/guide/seed-table.md] [--db seed.db]

PATH holds OncoGraph's published files as in `ib565/OncoGraph-Engine` (commit 2b75491):
`splits/test_sample.jsonl` and, per model, `results/<model>_checkpoint.jsonl`, `_summary.csv`,
`_evaluation_results.json`. The script imports the test split as a suite (no gold: the rows are
recorded), imports each checkpoint file as a run (`harness results import`), and writes the table
from the report library: syntax, execution and accuracy over all scored items with clustered and
Wilson intervals, the seed-style conditional rates under their own label, paired tests with Holm's
adjustment, the published figures beside them, and every item where the harness's verdict differs
from OncoGraph's own flags. The files are read, never copied into this repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

from harness.errors import HarnessError
from harness.report.formatting import interval_cell, num, rate_cell
from harness.report.pairs import pairs_table
from harness.report.summary import RunSummary, all_pairs, summarize_runs
from harness.runner.recorded_import import import_results
from harness.store import Store

# (model file name, label, the seed's published syntax / execution / accuracy, or None if not in the seed)
MODELS = (
    ("qwen3-4b-it-2507-trained", "Qwen3-4B fine-tuned (the seed's)", ("100", "100", "91.25")),
    ("qwen3-1.7b-trained", "Qwen3-1.7B fine-tuned", None),
    ("gemini-2.5-flash", "Gemini 2.5 Flash", None),
    ("gemini-2.0-flash", "Gemini 2.0 Flash", ("97.5", "89.7", "54.3")),
    ("gemini-2.5-flash-lite", "Gemini 2.5 Flash Lite", ("100", "92.5", "44.6")),
    ("qwen3-4b-it-2507-base", "Qwen3-4B base (untuned)", ("88.8", "60.6", "7.0")),
)
FLAGS = ("syntactic_valid", "execution_success", "result_match")


def read_flags(folder: Path, model: str) -> dict[str, tuple[bool, bool, bool]]:
    """OncoGraph's own three flags per item, from its summary CSV (✓ / ✗)."""
    with open(folder / "results" / f"{model}_summary.csv", encoding="utf-8") as handle:
        return {row["id"]: tuple(row[flag] == "✓" for flag in FLAGS) for row in csv.DictReader(handle)}


def read_overview(folder: Path, model: str) -> dict:
    """The metrics OncoGraph's evaluation wrote beside the checkpoint (its overview's figures)."""
    data = json.loads((folder / "results" / f"{model}_evaluation_results.json").read_text(encoding="utf-8"))
    return data["models"][model]["metrics"]


def import_all(folder: Path, db: Path) -> list[dict]:
    """One imported run per model. Without `--suite`: 34 of the 80 evaluated items are not in the
    published `test_sample.jsonl` (it is another draw of the test split), so ids, families and
    groups come from the recorded ids (`F2.2-000010-S1-P1`: family F2, group F2.2-000010)."""
    runs = []
    with Store(db) as store:
        for model, _, _ in MODELS:
            summary = import_results(folder / "results" / f"{model}_checkpoint.jsonl", model, db_path=str(db))
            runs.append(store.get_run(summary.run_id))
    return runs


def pct_of(k: int, n: int) -> str:
    return f"{num(100 * k / n, 2)} ({k}/{n})" if n else "–"


def headline(summaries: list[RunSummary], flags: dict, overviews: dict) -> str:
    rows = []
    for (model, label, seed), s in zip(MODELS, summaries):
        f = flags[model]
        n_flags = len(f)
        overview = overviews[model]
        rows.append(
            "| "
            + " | ".join(
                [
                    label,
                    f"{s.n_scored}" + (f" (+{s.n_infra} infra)" if s.n_infra else ""),
                    str(s.accuracy.clustered.clusters) if s.accuracy.clustered else "0",
                    num(s.accuracy.clustered.deff, 2) if s.accuracy.clustered else "–",
                    rate_cell(s.syntax, clustered=True),
                    rate_cell(s.execution, clustered=True),
                    rate_cell(s.accuracy, clustered=True),
                    interval_cell(s.accuracy.ci),
                    f"{s.accuracy.k}",
                    " / ".join(seed) if seed else "–",
                    " / ".join(
                        num(overview[key], 2)
                        for key in ("syntactic_validity_pct", "execution_success_pct", "output_accuracy_pct")
                    ),
                    " / ".join(str(sum(v[i] for v in f.values())) for i in range(3)) + f" of {n_flags}",
                ]
            )
            + " |"
        )
    header = (
        "| model | n scored | groups | design effect | syntax % | execution % | accuracy % | accuracy Wilson (items) "
        "| correct | seed's published syntax / exec. / accuracy | OncoGraph's overview (evaluation_results.json) "
        "| OncoGraph's flags: syntax / exec. / match |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    return header + "\n" + "\n".join(rows)


def conditional(summaries: list[RunSummary], flags: dict) -> str:
    lines = [
        "| model | harness: executed / syntax-valid | harness: correct / executed "
        "| OncoGraph's flags: executed / syntax-valid | OncoGraph's flags: correct / executed |",
        "|---|---|---|---|---|",
    ]
    for (model, label, _), s in zip(MODELS, summaries):
        f = list(flags[model].values())
        syntax, executed, correct = (sum(v[i] for v in f) for i in range(3))
        lines.append(
            f"| {label} | {pct_of(s.exec_given_syntax.k, s.exec_given_syntax.n)} "
            f"| {pct_of(s.accuracy_given_exec.k, s.accuracy_given_exec.n)} "
            f"| {pct_of(executed, syntax)} | {pct_of(correct, executed)} |"
        )
    return "\n".join(lines)


def differences(store: Store, summaries: list[RunSummary], flags: dict) -> str:
    """Every item where the harness's verdict differs from OncoGraph's flag at some level."""
    out = []
    for (model, label, _), s in zip(MODELS, summaries):
        rows = []
        for row in store.results(s.run.id):
            key = row["item_id"].split("~")[0]  # no suite: the recorded id (a repeat would be ID~2)
            theirs = flags[model].get(key)
            if theirs is None:
                continue
            ours = (bool(row["syntax_ok"]), bool(row["exec_ok"]), row["outcome"] == "correct")
            error = (row["error"] or "")[:90]
            if not row["scored"]:
                rows.append((key, theirs, row["outcome"], "infra: never scored", error))
            elif ours[2] and not theirs[2]:
                columns = "same names" if row["strict_match"] else "other column names (strict ✗)"
                rows.append((key, theirs, row["outcome"], f"same rows by content, {columns}", ""))
            elif ours != theirs:
                rows.append((key, theirs, row["outcome"], row["reason"] or row["error_class"] or "", error))
        out.append(f"**{label}** ({len(rows)} item(s)):\n")
        if not rows:
            out.append("_(none: the harness agrees with every flag)_\n")
            continue
        out.append("| item | OncoGraph syntax / exec. / match | harness outcome | reason | error |")
        out.append("|---|---|---|---|---|")
        for key, theirs, outcome, why, note in rows:
            mark = " / ".join("✓" if flag else "✗" for flag in theirs)
            out.append(f"| {key} | {mark} | {outcome} | {why} | {note.replace('|', '/').replace(chr(10), ' ')} |")
        out.append("")
    return "\n".join(out)


def build(folder: Path, db: Path) -> str:
    runs = import_all(folder, db)
    with Store(db) as store:
        summaries = summarize_runs(store, runs)
        for summary, (_, label, _) in zip(summaries, MODELS):
            summary.label = label
        flags = {model: read_flags(folder, model) for model, _, _ in MODELS}
        overviews = {model: read_overview(folder, model) for model, _, _ in MODELS}
        # pairs only among runs of the same 80 items (Gemini 2.5 Flash was evaluated on another draw)
        same = [s for s in summaries if s.run.suite_hash == summaries[0].run.suite_hash]
        others = [s.label for s in summaries if s not in same]
        pairs = pairs_table(all_pairs(same)).markdown().replace("## ", "### ", 1)
        if others:
            pairs += (
                f"\n{', '.join(others)}: left out of the pairs: its file holds another set of 80 items "
                "(5 shared with the others), so there is nothing to pair.\n"
            )
        return "\n\n".join(
            [
                "### Re-scored: every rate over all scored items",
                headline(summaries, flags, overviews),
                HEADLINE_NOTE,
                "### Seed-style conditional rates (for comparison only)",
                conditional(summaries, flags),
                pairs,
                "### Where the harness's verdict differs from OncoGraph's own flags",
                differences(store, summaries, flags),
            ]
        )


BEGIN, END = "<!-- seed-table:begin -->", "<!-- seed-table:end -->"
HEADLINE_NOTE = (
    "n scored: items with a model answer (an HTTP 429 is infra, listed, never scored). Brackets: 95% clustered "
    "interval over the groups (an item, its synonym variants and paraphrases: `F2.2-000010-S1-P1` is in group "
    "`F2.2-000010`); accuracy Wilson (items): the item-level interval. Seed's published: the seed's README table "
    "(conditional rates). OncoGraph's overview: the metrics in each model's `evaluation_results.json`. "
    "OncoGraph's flags: the ✓ counts of each model's `summary.csv` (the same as its checkpoint file)."
)


def write(text: str, out: Path) -> None:
    """Replace the generated part of `out` (between the seed-table markers) or write the file."""
    if out.is_file() and BEGIN in (current := out.read_text(encoding="utf-8")) and END in current:
        head, rest = current.split(BEGIN, 1)
        text = f"{head}{BEGIN}\n{text}\n{END}{rest.split(END, 1)[1]}"
    else:
        text = f"{BEGIN}\n{text}\n{END}\n"
    out.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="OncoGraph's files (splits/, results/)")
    parser.add_argument(
        "--out", type=Path, default=None, help="write the tables here, between its seed-table markers (default: stdout)"
    )
    parser.add_argument("--db", type=Path, default=None, help="results database to import into (default: temporary)")
    args = parser.parse_args(argv)
    try:
        if not (args.folder / "splits" / "test_sample.jsonl").is_file():
            raise HarnessError(f"{args.folder} has no splits/test_sample.jsonl (OncoGraph's published test split)")
        with tempfile.TemporaryDirectory() as scratch:
            db = args.db or Path(scratch) / "seed.db"
            if db.exists():
                raise HarnessError(f"{db} exists: give a new --db")
            text = build(args.folder, db)
    except (HarnessError, OSError, KeyError, ValueError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if args.out:
        write(text, args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
