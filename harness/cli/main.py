"""The `harness` command: a thin click layer over the library.

Library errors (HarnessError) become one `Error: ...` line on stderr and exit 1;
click's usage errors exit 2. Nothing here does work the library could do.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import HarnessError


class HarnessGroup(click.Group):
    """Turns expected failures and Ctrl-C into short messages instead of tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HarnessError as exc:
            click.echo(f"Error: {exc}", err=True)
            if exc.detail:
                click.echo(exc.detail, err=True)
            sys.exit(1)
        except KeyboardInterrupt as exc:
            click.echo(f"Interrupted: {exc}" if str(exc) else "Interrupted.", err=True)
            sys.exit(130)


@click.group(cls=HarnessGroup)
@click.version_option(__version__, prog_name="harness")
def cli():
    """Evaluate text-to-Cypher models on an oncology knowledge graph."""


COMMAND_MODULES = ("db", "graph", "suite", "run", "report", "models")


def register() -> None:
    """Each module in harness/cli/ defines one command group (or commands) in `COMMANDS`."""
    import importlib
    import importlib.util

    for name in COMMAND_MODULES:
        if importlib.util.find_spec(f"harness.cli.{name}") is None:
            continue
        module = importlib.import_module(f"harness.cli.{name}")
        for command in getattr(module, "COMMANDS", [module.group] if hasattr(module, "group") else []):
            cli.add_command(command)


register()


if __name__ == "__main__":
    cli()
