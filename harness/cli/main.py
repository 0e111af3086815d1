"""The `harness` command: a thin click layer over the library.

Library errors (HarnessError) become one `Error: ...` line on stderr and exit 1;
click's usage errors exit 2. Nothing here does work the library could do.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from ..errors import HarnessError
from ..inputs import cut_message
from ..interrupts import signum_of, stop_signals_raise
from ..redact import redact_text

# command name -> "module:attribute" in harness/cli/; imported only when the command runs,
# so `harness run` does not pay for plotting, suite generation or report imports.
COMMANDS = {
    "db": "db:group",
    "graph": "graph:group",
    "suite": "suite:group",
    "models": "models:group",
    "run": "run:run_command",
    "rescore": "run:rescore_command",
    "results": "results:group",
    "report": "report:report",
    "compare": "report:compare",
    "show": "report:show",
    "triage": "report:triage",
    "baseline": "report:baseline",
    "gate": "report:gate",
    "train": "train:train_command",
}


class HarnessGroup(click.Group):
    """Loads subcommands lazily and turns expected failures and Ctrl-C into short messages."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(f"harness.cli.{module}"), attribute)

    def invoke(self, ctx):
        try:
            with stop_signals_raise():  # SIGTERM and SIGHUP end a command as Ctrl-C does
                return super().invoke(ctx)
        except HarnessError as exc:
            click.echo(f"Error: {cut_message(redact_text(str(exc)))}", err=True)  # redacted whole, then cut
            if exc.detail:
                click.echo(redact_text(exc.detail), err=True)
            sys.exit(1)
        except KeyboardInterrupt as exc:
            click.echo(redact_text(f"Interrupted: {exc}") if str(exc) else "Interrupted.", err=True)
            sys.exit(128 + signum_of(exc))  # 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP


@click.group(cls=HarnessGroup)
@click.version_option(__version__, prog_name="harness")
def cli():
    """Evaluate text-to-Cypher models on an oncology knowledge graph."""


if __name__ == "__main__":
    cli()
