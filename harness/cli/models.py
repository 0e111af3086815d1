"""`harness models ...`: the model specs in models/*.toml, whether each can run now, and weights."""

from __future__ import annotations

import json

import click

from ..adapters.hub import pull as pull_weights
from ..adapters.registry import adapter_class
from ..adapters.specs import BrokenSpec, list_specs, load_spec
from ..errors import HarnessError
from .options import json_option


@click.group("models")
def group():
    """List model specs and fetch their weights."""


def readiness(spec) -> tuple[bool, str]:
    """Quick checks only (file present, key set, server answering): no model is loaded."""
    try:
        return adapter_class(spec.adapter).readiness(spec)
    except HarnessError as exc:
        return False, str(exc)
    except ImportError as exc:
        return False, f"adapter {spec.adapter!r} cannot be imported: {exc}"


def _row(spec) -> dict:
    if isinstance(spec, BrokenSpec):  # listed with its error; the other specs are still shown
        return {"name": spec.name, "adapter": "?", "ready": False, "detail": spec.error, "spec": spec.path}
    ready, detail = readiness(spec)
    return {
        "name": spec.name,
        "adapter": spec.adapter,
        "ready": ready,
        "detail": detail,
        "description": spec.description,
        "spec": spec.path,
    }


@group.command("list")
@json_option
def list_models(as_json):
    """Show every model spec and whether it is ready to run (and why not)."""
    rows = [_row(spec) for spec in list_specs()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from tabulate import tabulate

    table = [(r["name"], r["adapter"], "yes" if r["ready"] else "no", r["detail"]) for r in rows]
    click.echo(tabulate(table, headers=("model", "adapter", "ready", "uses / why not"), tablefmt="simple"))


@group.command("pull")
@click.argument("name")
def pull(name):
    """Download the GGUF named in models/NAME.toml from the Hugging Face Hub (resumes; checks sha256)."""
    path = pull_weights(load_spec(name), echo=lambda line: click.echo(line, err=True))
    click.echo(str(path))
