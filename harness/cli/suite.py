"""`harness suite ...`: generate, lint, list, show, import and export test suites."""

from __future__ import annotations

import json

import click

from ..errors import HarnessError
from ..suitegen import export as export_mod
from ..suitegen import generate as generate_mod
from ..suitegen import importer, io
from ..suitegen import lint as lint_mod
from ..testsuite import audit as audit_mod
from ..testsuite.report import audit_text, distill_text
from ..testsuite.suite_variants import add_guards, distill_suite
from .options import db_option, json_option, neo4j_option, plain_name_callback, variant_server_option


@click.group("suite")
def group():
    """Test suites: questions with deterministic gold Cypher, generated from the graph."""


@group.command("generate")
@click.option(
    "--name",
    default="demo",
    show_default=True,
    callback=plain_name_callback("suite name"),
    help="Suite name (folder under suites/).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: same graph + seed = same files.")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Output folder (default: suites/<name>).")
@click.option(
    "--groups",
    "groups_per_template",
    type=click.IntRange(1, generate_mod.MAX_GROUPS),
    default=generate_mod.Options.groups_per_template,
    show_default=True,
    help=f"Base questions per template (at most {generate_mod.MAX_GROUPS}).",
)
@click.option(
    "--test-fraction",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=generate_mod.Options.test_fraction,
    show_default=True,
    help="Share of groups in the test split.",
)
@click.option(
    "--holdout-fraction",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    help="Share of entities held out: questions naming them are test-only.",
)
@click.option(
    "--heldout-wordings",
    type=click.IntRange(0),
    default=generate_mod.Options.heldout_wordings,
    show_default=True,
    metavar="N",
    help="Per template, the last N paraphrase wordings are used in test questions only (0: none).",
)
@click.option("--force", is_flag=True, help="Replace an existing suite of that name.")
@neo4j_option
def generate(
    name, seed, out, groups_per_template, test_fraction, holdout_fraction, heldout_wordings, force, neo4j_backend
):
    """Generate a suite (all six families) from the graph loaded in the current Neo4j."""
    options = generate_mod.Options(
        seed=seed,
        groups_per_template=groups_per_template,
        test_fraction=test_fraction,
        holdout_fraction=holdout_fraction,
        heldout_wordings=heldout_wordings,
    )
    suite = generate_mod.generate_suite(
        name, out, options, neo4j_backend, progress=lambda m: click.echo(m, err=True), force=force
    )
    splits = suite.manifest["counts"]["splits"]
    click.echo(
        f"wrote {suite.manifest['n_items']} items ({splits.get('test', 0)} test, {splits.get('train', 0)} train) "
        f"to {suite.folder}",
        err=True,
    )
    click.echo(str(suite.folder))


@group.command("lint")
@click.argument("suite")
@click.option("-v", "--verbose", is_flag=True, help="List every warning, not only their counts.")
@json_option
@neo4j_option
def lint(suite, verbose, as_json, neo4j_backend):
    """Run every gold on the live graph and check the suite; exits 1 on any hard problem."""
    from tabulate import tabulate

    report = lint_mod.lint_suite(suite, neo4j_backend)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(
            tabulate(
                [
                    (f["family"], f["items"], f["empty_golds"], f["mean_gold_rows"], f["hard_problems"])
                    for f in report.families
                ],
                headers=["family", "items", "empty golds", "mean gold rows", "hard problems"],
                tablefmt="github",
            )
        )
        shown = [p for p in report.problems if p.hard or verbose]
        for problem in shown:
            click.echo(f"{'ERROR' if problem.hard else 'warn '} {problem.item_id} [{problem.kind}] {problem.message}")
        hidden = {k: n for k, n in report.counts().items() if k not in lint_mod.HARD and not verbose}
        if hidden:
            click.echo("warnings: " + ", ".join(f"{n} {k}" for k, n in hidden.items()) + " (-v lists them)")
    if report.suite_fingerprint and report.live_fingerprint != report.suite_fingerprint:
        click.echo("note: the loaded graph's fingerprint differs from the one the suite was made from", err=True)
    click.echo(f"linted {report.n_items} items in {report.elapsed_s:.1f}s: {len(report.hard)} hard problems", err=True)
    if report.hard:
        raise HarnessError(
            f"suite {report.suite!r} failed lint: "
            + ", ".join(f"{n} {k}" for k, n in report.counts().items() if k in lint_mod.HARD)
        )


@group.command("audit")
@click.argument("suite")
@click.option("--split", type=click.Choice(["test", "train", "all"]), default="all", show_default=True)
@json_option
@neo4j_option
def audit(suite, split, as_json, neo4j_backend):
    """Mutants that survive each gold on the live graph, empty golds, trivial matches, discriminating share."""
    report = audit_mod.audit_suite(suite, None if split == "all" else split, neo4j_backend)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else audit_text(report))
    click.echo(f"audited {len(report.items)} items in {report.elapsed_s:.1f}s", err=True)


@group.command("distill")
@click.argument("suite")
@click.option(
    "--graph",
    type=click.Path(file_okay=False),
    default=None,
    help="The suite's graph folder (default: the demo graph).",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Variant seed: same graph, suite and seed = same variants."
)
@click.option(
    "--candidates",
    type=click.IntRange(1, 100),
    default=24,
    show_default=True,
    help="Candidate variants to try (variant i is of family i mod 12: two of each family by default).",
)
@click.option(
    "--max-variants", type=click.IntRange(1, 20), default=8, show_default=True, help="Variants to keep at most."
)
@click.option("--split", type=click.Choice(["test", "train", "all"]), default="test", show_default=True)
@click.option(
    "--guards-only",
    is_flag=True,
    help="Only add the filter guards (testsuite/guards.py) to the variants the manifest records, without distilling again.",
)
@variant_server_option
@json_option
@neo4j_option
def distill(suite, graph, seed, candidates, max_variants, split, guards_only, variant_server, as_json, neo4j_backend):
    """Choose graph variants that tell each gold from its surviving mutants; record them in the manifest.
    The filter guards under which every gold stays valid are kept beside them."""
    if guards_only:
        added = add_guards(
            suite, graph=graph, server=variant_server, backend=neo4j_backend, progress=lambda m: click.echo(m, err=True)
        )
        click.echo(
            json.dumps(added, indent=2)
            if as_json
            else f"{added['suite']}: guards kept {', '.join(added['added']) or 'none'}; "
            f"refused {', '.join(added['refused']) or 'none'}"
        )
        return

    result = distill_suite(
        suite,
        graph=graph,
        seed=seed,
        candidates=candidates,
        max_variants=max_variants,
        split=None if split == "all" else split,
        server=variant_server,
        backend=neo4j_backend,
        progress=lambda m: click.echo(m, err=True),
    )
    click.echo(json.dumps(result, indent=2) if as_json else distill_text(result))


@group.command("list")
@json_option
def list_(as_json):
    """Suites under the suites folder ($HARNESS_SUITES_DIR or ./suites)."""
    suites = io.list_suites()
    if as_json:
        click.echo(json.dumps(suites, indent=2))
        return
    if not suites:
        click.echo("no suites found (generate one with `harness suite generate`)", err=True)
        return
    from tabulate import tabulate

    click.echo(
        tabulate(
            [
                (
                    s["name"],
                    s.get("items"),
                    s.get("test"),
                    s.get("train"),
                    " ".join(s.get("families", [])),
                    (s.get("graph_fingerprint") or "-")[:12],
                    s.get("error", ""),
                )
                for s in suites
            ],
            headers=["name", "items", "test", "train", "families", "graph", ""],
            tablefmt="github",
        )
    )


@group.command("show")
@click.argument("suite")
@click.argument("item_id")
@json_option
def show(suite, item_id, as_json):
    """One item: question, gold Cypher, placeholders and gold expectation."""
    item = io.find_item(suite, item_id)
    if as_json:
        click.echo(json.dumps(item.to_record(), indent=2, ensure_ascii=False, sort_keys=True))
        return
    click.echo(
        f"{item.id}  {item.family_id} {item.template_id}  split={item.split}  source={item.source}  "
        f"group={item.group_id}"
    )
    click.echo(f"question: {item.question}")
    click.echo(f"placeholders: {json.dumps(item.placeholders, ensure_ascii=False, sort_keys=True)}")
    click.echo(f"gold: {json.dumps(item.gold, sort_keys=True)}")
    click.echo(item.cypher)


@group.command("power")
@click.argument("suite", required=False)
@click.option("--split", type=click.Choice(["test", "train"]), default="test", show_default=True)
@click.option(
    "--items",
    "items_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Only these item ids (one per line, or JSONL with an id field), e.g. the items a sample evaluated.",
)
@click.option(
    "--icc",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Assumed intra-group correlation of the paired difference (measure it with --run A --run B).",
)
@click.option(
    "--difference",
    type=click.FloatRange(0, 100, min_open=True),
    default=5.0,
    show_default=True,
    metavar="POINTS",
    help="The difference (percentage points) to find the number of items for.",
)
@click.option(
    "--run",
    "run_ids",
    multiple=True,
    metavar="ID",
    help="Two stored runs (give --run twice): measure their disagreement and clustered SE instead of assuming.",
)
@json_option
@db_option
def power(suite, split, items_file, icc, difference, run_ids, as_json, db_path):
    """Minimum detectable difference (80% power, alpha 0.05) of two models compared on SUITE's items,
    paired and clustered by group, and the items needed for a given difference."""
    from ..report import power_report, queries

    if run_ids:
        if len(run_ids) != 2 or suite or items_file:
            raise click.UsageError("--run goes twice (two runs), without SUITE or --items")
        with queries.reading(db_path) as store:
            runs = queries.select_runs(store, run_ids)
            if len(runs) != 2:
                raise click.UsageError("--run needs two different runs")
            data = power_report.runs_power(store, runs, difference / 100)
        click.echo(power_report.render_runs(data, as_json), nl=as_json)
        return
    if not suite:
        raise click.UsageError("give SUITE (or --run A --run B)")
    from ..runner.selection import read_ids_file
    from ..suitegen.model import open_suite

    opened = open_suite(suite)
    ids = read_ids_file(items_file) if items_file else None
    layout = power_report.suite_layout(opened, split, ids)
    data = power_report.suite_power(layout, icc, difference / 100)
    click.echo(power_report.render_suite(opened.name, split, data, as_json), nl=as_json)


@group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--name", required=True, callback=plain_name_callback("suite name"), help="Suite name (folder under suites/)."
)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Output folder (default: suites/<name>).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for assigning splits by group.")
@click.option(
    "--test-fraction",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.4,
    show_default=True,
    help="Share of groups put in test when records carry no split (--split auto).",
)
@click.option(
    "--split",
    type=click.Choice(importer.SPLIT_MODES),
    default="auto",
    show_default=True,
    help="test/train: every record goes there; auto: keep named splits, assign the rest by group.",
)
@click.option(
    "--duplicates",
    type=click.Choice(importer.DUPLICATE_POLICIES),
    default="rename",
    show_default=True,
    help="A repeated id: rename it ID~2, ID~3... (published id kept in original_id), or stop with an error.",
)
@click.option("--no-gold", is_flag=True, help="Do not compute gold expectations even if a Neo4j is reachable.")
@click.option("--force", is_flag=True, help="Replace an existing suite of that name.")
@neo4j_option
def import_(file, name, out, seed, test_fraction, split, duplicates, no_gold, force, neo4j_backend):
    """Import an OncoGraph dataset JSONL file (all records and fields kept)."""
    suite = importer.import_file(
        file,
        name,
        out=out,
        seed=seed,
        test_fraction=test_fraction,
        split=split,
        duplicates=duplicates,
        gold=not no_gold,
        backend=neo4j_backend,
        force=force,
        warn=lambda m: click.echo(f"warning: {m}", err=True),
    )
    renamed = suite.manifest["options"]["renamed_ids"]
    if renamed:
        click.echo(f"renamed {renamed} repeated ids to ID~2, ID~3... (published id kept in original_id)", err=True)
    splits = suite.manifest["counts"]["splits"]
    click.echo(
        f"imported {suite.manifest['n_items']} items ({splits.get('test', 0)} test, {splits.get('train', 0)} train) "
        f"to {suite.folder}",
        err=True,
    )
    click.echo(str(suite.folder))


@group.command("export")
@click.argument("suite")
@click.option("--format", "fmt", type=click.Choice(export_mod.FORMATS), default="sft", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Output file (default: stdout).")
def export(suite, fmt, output):
    """Training records (chat format, the fine-tuned model's system prompt) for the train split."""
    text, count = export_mod.export(suite, fmt, output)
    if output:
        click.echo(f"wrote {count} records to {output}", err=True)
    else:
        click.echo(text, nl=False)
