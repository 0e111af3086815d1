"""`harness models ...`: the model specs in models/*.toml, whether each can run now, and weights."""

from __future__ import annotations

import json

import click

from ..adapters.hub import pull as pull_weights
from ..adapters.registry import adapter_class, adapter_entry, registered
from ..adapters.specs import BrokenSpec, list_specs, load_spec
from ..errors import HarnessError
from ..redact import redact_text
from .options import json_option


@click.group("models")
def group():
    """List model specs and adapters, and fetch weights."""


def readiness(spec) -> tuple[bool, str]:
    """Quick checks only (file present, key set, server answering): no model is loaded."""
    try:
        return adapter_class(spec.adapter, spec.package).readiness(spec)
    except HarnessError as exc:
        return False, str(exc)
    except ImportError as exc:
        return False, f"adapter {spec.adapter!r} cannot be imported: {exc}"


def _source(spec) -> str:
    try:
        return adapter_entry(spec.adapter, spec.package).source
    except HarnessError:
        return "not installed"


def _row(spec) -> dict:
    if isinstance(spec, BrokenSpec):  # listed with its error; the other specs are still shown
        return {"name": spec.name, "adapter": "?", "from": "?", "ready": False, "detail": spec.error, "spec": spec.path}
    ready, detail = readiness(spec)
    detail = redact_text(detail)
    return {
        "name": spec.name,
        "adapter": spec.adapter,
        "from": _source(spec),
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

    table = [(r["name"], r["adapter"], r["from"], "yes" if r["ready"] else "no", r["detail"]) for r in rows]
    click.echo(tabulate(table, headers=("model", "adapter", "from", "ready", "uses / why not"), tablefmt="simple"))


@group.command("adapters")
@json_option
def list_adapters(as_json):
    """Show every installed adapter, the package that registers it, and whether its dependencies are there."""
    rows = []
    for name, entry in sorted(registered().items()):
        absent = entry.missing() if entry.target else []
        rows.append(
            {
                "adapter": name,
                "from": entry.source,
                "target": entry.target,
                "ready": not absent and bool(entry.target),
                "fix": entry.install_hint(absent) if absent else "",
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from tabulate import tabulate

    table = [(r["adapter"], r["from"], r["target"], "yes" if r["ready"] else "no", r["fix"]) for r in rows]
    click.echo(tabulate(table, headers=("adapter", "from", "class", "ready", "fix"), tablefmt="simple"))


@group.command("pull")
@click.argument("name")
def pull(name):
    """Download the GGUF named in models/NAME.toml from the Hugging Face Hub (resumes; checks sha256)."""
    path = pull_weights(load_spec(name), echo=lambda line: click.echo(line, err=True))
    click.echo(str(path))
