"""`harness graph ...`: load a graph folder and describe what is loaded."""

from __future__ import annotations

import json

import click

from ..graph import service
from .options import json_option, neo4j_option


@click.group("graph")
def group():
    """Load the oncology graph and show its counts and fingerprint."""


@group.command("load")
@click.option(
    "--source",
    type=click.Path(file_okay=False),
    default=None,
    help="Graph folder in OncoGraph's CSV layout (default: the bundled demo graph).",
)
@click.option("--replace", is_flag=True, help="Delete everything in the database first.")
@neo4j_option
def load(source, replace, neo4j_backend):
    """Load a CSV graph folder (idempotent: loading twice gives the same graph)."""
    result = service.load(source, replace=replace, backend=neo4j_backend)
    for note in result["notes"]:
        click.echo(f"note: {note}", err=True)
    click.echo(f"loaded {result['source']}: " + ", ".join(f"{k} {v}" for k, v in result["counts"].items()), err=True)
    click.echo(result["fingerprint"])


@group.command("info")
@json_option
@neo4j_option
def info(as_json, neo4j_backend):
    """Counts per label and relationship type, Neo4j version and fingerprint."""
    details = service.info(backend=neo4j_backend)
    if as_json:
        click.echo(json.dumps(details, indent=2))
        return
    from tabulate import tabulate

    click.echo(f"Neo4j {details['neo4j_version']} at {details['uri']}")
    rows = [("node", k, v) for k, v in details["nodes"].items()] + [
        ("relationship", k, v) for k, v in details["relationships"].items()
    ]
    click.echo(tabulate(rows, headers=["kind", "name", "count"], tablefmt="github"))
    click.echo(f"fingerprint: {details['fingerprint']}")
