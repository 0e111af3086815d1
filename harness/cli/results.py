"""`harness results import`: bring results recorded by another evaluation (OncoGraph's checkpoints)."""

from __future__ import annotations

import click

from ..runner.recorded_import import import_results
from .options import neo4j_option
from .run import db_option


@click.group("results")
def group():
    """Results recorded elsewhere, judged again by the harness."""


@group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--model", "-m", required=True, help="Name of the model whose results these are (the report's label).")
@click.option(
    "--suite",
    "-s",
    default=None,
    help="Suite holding these items (matched by published id and question); default: none, families from ids.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@db_option
@neo4j_option
def import_(file, model, suite, quiet, db_path, neo4j_backend):
    """Import FILE (OncoGraph `<model>_checkpoint.jsonl`) as a run whose verdicts the harness computes:
    syntax by this Neo4j's parser (EXPLAIN), execution as recorded, accuracy by comparing the recorded rows."""
    summary = import_results(file, model, suite=suite, db_path=db_path, neo4j=neo4j_backend, progress=not quiet)
    counts = ", ".join(f"{outcome} {n}" for outcome, n in sorted(summary.counts.items()))
    click.echo(
        f"imported {summary.n_items} recorded items of {model} as run {summary.run_id} "
        f"(suite {summary.suite}); outcomes: {counts}",
        err=True,
    )
    click.echo(summary.run_id)
