"""Options shared by several command groups."""

import click

neo4j_option = click.option(
    "--neo4j",
    "neo4j_backend",
    type=click.Choice(["auto", "uri", "docker", "jvm"]),
    default=None,
    help="Neo4j backend (default: $HARNESS_NEO4J or auto).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")
