"""Options shared by several command groups, declared once so every command spells them the same way.

Output convention: every command that prints results takes `--format` (a text form first,
`json` for machines) and `--json` as a shorthand for `--format json`; results go to stdout,
diagnostics and progress to stderr.
"""

from __future__ import annotations

import functools

import click

from ..errors import InputError
from ..names import plain_name

neo4j_option = click.option(
    "--neo4j",
    "neo4j_backend",
    type=click.Choice(["auto", "uri", "docker", "jvm"]),
    default=None,
    envvar="HARNESS_NEO4J",
    show_envvar=True,
    help="Neo4j backend (default: auto: uri if NEO4J_URI is set, else docker if an engine answers, else jvm).",
)

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="HARNESS_DB",
    show_envvar=True,
    help="Results database (default: ./results.db).",
)


def format_option(*choices: str, default: str | None = None):
    """`--format CHOICE` (passed as `fmt`) plus `--json`, the shorthand for `--format json`."""
    default = default or choices[0]

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, fmt, json_shorthand, **kwargs):
            return command(*args, fmt="json" if json_shorthand else fmt, **kwargs)

        wrapper = click.option("--json", "json_shorthand", is_flag=True, help="Same as --format json.")(wrapper)
        return click.option(
            "--format", "fmt", type=click.Choice(choices), default=default, show_default=True, help="Output format."
        )(wrapper)

    return decorate


def json_option(command):
    """`--format text|json` for commands whose body takes `as_json`."""

    @format_option("text", "json")
    @functools.wraps(command)
    def wrapper(*args, fmt, **kwargs):
        return command(*args, as_json=fmt == "json", **kwargs)

    return wrapper


def plain_name_callback(what: str):
    """A click callback: a bad name is a usage error (exit 2) naming the option."""

    def callback(ctx, param, value):
        if value is None:
            return value
        try:
            return plain_name(value, what)
        except InputError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


variant_server_option = click.option(
    "--variant-server",
    type=click.Choice(["scratch", "current"]),
    default="scratch",
    show_default=True,
    envvar="HARNESS_VARIANT_SERVER",
    show_envvar=True,
    help="Load graph variants into a server of their own (scratch) or the current one (the base graph is restored).",
)
