"""`harness report`, `compare`, `baseline save`, `gate`, `show`, `triage`: read the results store."""

from __future__ import annotations

import json
import sys

import click

from ..redact import redact_text
from ..report import TABLES, build_report, queries, render
from ..report import compare as compare_lib
from ..report import gate as gate_lib
from ..report import triage as triage_lib
from ..report.html_report import build_html, write_report_file
from ..report.junit import write_junit
from ..report.plot import plot_summaries, plot_target
from ..report.tables import pct
from .options import db_option, format_option, json_option


@click.command("report")
@click.option(
    "--run",
    "run_ids",
    multiple=True,
    metavar="ID",
    help="Run id or unique prefix; repeat for several (default: the latest run of each model).",
)
@format_option("md", "csv", "json", "html")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="Write the report to FILE instead of stdout (e.g. -o report.html).",
)
@click.option("--table", type=click.Choice(TABLES), default=None, help="Only this table (csv default: summary).")
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE.png",
    help="Also write a bar chart (.png, .svg or .pdf) of syntax/execution/accuracy with 95% intervals (needs the plot extra).",
)
@db_option
def report(run_ids, fmt, table, output, plot_path, db_path):
    """Tables of runs (md: all tables; json: one object with every table; csv: one table, see --table;
    html: one self-contained page with every table, an item browser and the flips between runs).

    Manifest, unconditional rates with 95% clustered intervals over the items' groups (and item-level
    Wilson), conditional (seed-style) rates, accuracy per family, paired McNemar and clustered tests
    between models (Holm-adjusted for three or more), and cost estimates for specs with a price."""
    if fmt == "html" and table:
        raise click.UsageError("--table applies to md, csv and json; the html report has every table")
    if plot_path:
        plot_target(plot_path)
    with queries.reading(db_path) as store:
        summaries, tables = build_report(store, run_ids)
        text = build_html(store, summaries, tables) if fmt == "html" else render(tables, fmt, table)
    text = redact_text(text)  # rows stored by an older harness may still hold a key this one knows
    if output:
        written = write_report_file(text if fmt == "csv" else text + "\n", output)
        click.echo(f"wrote {written}", err=True)
    else:
        click.echo(text, nl=fmt != "csv")
    if plot_path:
        click.echo(f"wrote {plot_summaries(summaries, plot_path)}", err=True)


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@format_option("md", "json")
@db_option
def compare(run_a, run_b, fmt, db_path):
    """Item-level flips from RUN_A to RUN_B (pass->fail, fail->pass) and the paired test."""
    with queries.reading(db_path) as store:
        result = compare_lib.compare_runs(store, queries.get_run(store, run_a), queries.get_run(store, run_b))
    click.echo(compare_lib.render(result, fmt), nl=False)


@click.group("baseline")
def baseline():
    """Baseline files for `harness gate`."""


@baseline.command("save")
@click.argument("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--must-pass",
    "must_pass_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Item ids (one per line, or a JSON list) that must stay correct.",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@db_option
def baseline_save(run, file, must_pass_file, force, db_path):
    """Write RUN's summary and per-item outcomes to FILE (JSON)."""
    must_pass = gate_lib.read_must_pass(must_pass_file) if must_pass_file else []
    with queries.reading(db_path) as store:
        data, warnings = gate_lib.save_baseline(store, queries.get_run(store, run), file, must_pass, force=force)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    summary = data["summary"]
    click.echo(
        f"wrote {file}: run {data['run']['id']} ({data['run']['model']}), {len(data['items'])} items, "
        f"accuracy {pct(summary['accuracy_pct'])}% of {summary['n_scored']} scored, "
        f"{len(data['must_pass'])} must-pass"
    )


@click.command("gate")
@click.option(
    "--run",
    "run_id",
    default=None,
    metavar="ID",
    help="Run id or prefix (default: the latest run of the baseline's model).",
)
@click.option(
    "--baseline",
    "baseline_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="Baseline JSON written by `harness baseline save`.",
)
@click.option(
    "--max-drop",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    metavar="POINTS",
    help="Largest accuracy drop (percentage points, shared items) that is never a regression.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.05,
    show_default=True,
    help="Significance level of the exact McNemar test on shared items.",
)
@click.option(
    "--max-infra-rate",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    metavar="R",
    help="Largest fraction of recorded items with infra errors before the run is incomplete.",
)
@click.option(
    "--must-pass",
    "must_pass_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="More must-pass item ids (one per line, or a JSON list).",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE.xml",
    help="Also write JUnit XML: one testcase per check and per item.",
)
@json_option
@db_option
def gate(run_id, baseline_file, max_drop, alpha, max_infra_rate, must_pass_file, junit_path, as_json, db_path):
    """Compare a run with a baseline and exit with its verdict.

    \b
    Exit codes:
      0  pass
      1  harness error (no such run, unreadable baseline, ...)
      2  regression: accuracy on shared items dropped by more than --max-drop points
         AND exact McNemar p < --alpha, or a must-pass item is not correct
      3  incomplete: infra error rate above --max-infra-rate, baseline items
         missing from the run, or a failed run
    A regression outranks incompleteness. Note: a command-line usage error (bad or
    missing option) also exits 2, as in every click program; it prints "Usage:" and
    "Error:" on stderr, while a regression prints a "gate REGRESSION" verdict on stdout.
    """
    must_pass = gate_lib.read_must_pass(must_pass_file) if must_pass_file else []
    base = gate_lib.load_baseline(baseline_file)
    with queries.reading(db_path) as store:
        if run_id:
            run = queries.get_run(store, run_id)
        else:
            run = queries.latest_run_of(store, base.get("run", {}).get("model") or "")
        result = gate_lib.evaluate(store, run, base, max_drop, alpha, max_infra_rate, must_pass)
    if junit_path:
        write_junit(result, junit_path)
    click.echo(json.dumps(gate_lib.to_dict(result), indent=2) if as_json else gate_lib.render(result), nl=not as_json)
    sys.exit(result.code)


@click.command("show")
@click.argument("run")
@click.argument("item")
@json_option
@db_option
def show(run, item, as_json, db_path):
    """One item of a run in full: question, gold and generated Cypher, outcome, error, row diff."""
    with queries.reading(db_path) as store:
        record = triage_lib.item_record(store, queries.get_run(store, run), item)
    click.echo(
        redact_text(
            json.dumps(record, indent=2, ensure_ascii=False, default=str) if as_json else triage_lib.render_item(record)
        ),
        nl=as_json,
    )


@click.command("triage")
@click.argument("run")
@click.option(
    "--examples", type=click.IntRange(min=0), default=3, show_default=True, help="Example item ids per group."
)
@format_option("md", "json")
@db_option
def triage(run, examples, fmt, db_path):
    """Failures of a run grouped by outcome, family, mismatch reason and error class."""
    with queries.reading(db_path) as store:
        data = triage_lib.triage(store, queries.get_run(store, run), examples)
    click.echo(
        redact_text(
            json.dumps(data, indent=2, ensure_ascii=False) if fmt == "json" else triage_lib.render_triage(data)
        ),
        nl=fmt == "json",
    )


COMMANDS = [report, compare, baseline, gate, show, triage]
