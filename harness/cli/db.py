"""`harness db ...`: a long-lived Neo4j that later commands reuse."""

from __future__ import annotations

import json
import time

import click

from ..graph import provision
from ..graph.docker import logs as docker_logs
from ..graph.driver import PROBE_S, answers
from ..graph.instance import load_record
from .options import json_option, neo4j_option


@click.group("db")
def group():
    """Start, inspect and stop the Neo4j server the harness uses."""


@group.command("up")
@neo4j_option
def up(neo4j_backend):
    """Start Neo4j (or reuse the running one) and record it for later commands."""
    started = time.monotonic()
    instance, reused = provision.up(neo4j_backend)
    verb = "reusing" if reused else f"started in {time.monotonic() - started:.1f}s:"
    click.echo(f"Neo4j {instance.version} ({instance.backend}) {verb} {instance.uri}", err=True)
    click.echo(instance.uri)


WEDGED_FIX = "restart it on the same data with `harness db up`"


@group.command("status")
@click.option(
    "--timeout",
    "timeout_s",
    default=PROBE_S,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Seconds the server has to answer Bolt.",
)
@json_option
def status(as_json, timeout_s):
    """Show the recorded server, whether it is alive and whether it answers Bolt (exit 1 if not)."""
    instance = load_record()
    alive = bool(instance and provision.is_alive(instance))
    info = {"running": alive, "answers": bool(alive and instance and answers(instance, timeout_s))}
    if instance:
        info.update(
            backend=instance.backend,
            uri=instance.uri,
            version=instance.version,
            pid=instance.pid,
            container_id=instance.container_id,
            home=instance.home,
            uptime_s=round(time.time() - instance.started_at, 1),
        )
    if as_json:
        click.echo(json.dumps(info, indent=2))
    elif not instance:
        click.echo("no Neo4j recorded: start one with `harness db up`")
    else:
        if not info["running"]:
            state = "not running (stale record)"
        elif not info["answers"]:
            state = f"running but not answering Bolt within {timeout_s:g}s ({WEDGED_FIX})"
        else:
            state = "running"
        click.echo(
            f"{state}: Neo4j {instance.version} ({instance.backend}) at {instance.uri}"
            + (f", pid {instance.pid}" if instance.pid else "")
            + (f", container {instance.container_id[:12]}" if instance.container_id else "")
        )
    if instance and not info["answers"]:
        if as_json or not info["running"]:
            raise SystemExit(1)
        raise click.ClickException(
            f"Neo4j at {instance.uri} is alive but does not answer Bolt within {timeout_s:g}s: {WEDGED_FIX}"
        )


@group.command("down")
def down():
    """Stop the recorded server and delete its data."""
    instance = provision.down()
    click.echo("stopped " + instance.uri if instance else "no Neo4j recorded; nothing to stop", err=True)


@group.command("logs")
@click.option("-n", "--lines", default=50, show_default=True, help="Lines from the end of each log.")
def logs(lines):
    """Print the end of the recorded server's logs."""
    instance = load_record()
    if not instance:
        click.echo("no Neo4j recorded: start one with `harness db up`", err=True)
        raise SystemExit(1)
    click.echo(docker_logs(instance, lines) if instance.backend == "docker" else instance.log_tail(lines))
